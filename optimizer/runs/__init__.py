"""The run folder (``allocate solve --out``): its one writer and its one reader
(``folder``), the atomic file writing beneath them (``output``), and the comparison of
two folders (``compare``).
"""

from __future__ import annotations

from optimizer.backend.lazy import lazy_attributes

# public name -> the module of this package that holds it
_HOME = {
    "write_result": "folder",
    "write_evaluation": "folder",
    "write_sweep": "folder",
    "write_site_values": "folder",
    "evaluation_json": "folder",
    "load_tables": "folder",
    "RunFolderError": "folder",
    "Run": "folder",
    "RunError": "folder",
    "write_report": "folder",
    "OutputError": "output",
    "check_target": "output",
    "dumps": "output",
    "write_csv": "output",
    "write_run": "output",
    "compare_runs": "compare",
}

__all__ = sorted(_HOME)

__getattr__ = lazy_attributes(__name__, _HOME)
