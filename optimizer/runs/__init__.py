"""The run folder (``allocate solve --out``): its one writer and its one reader
(``folder``), the atomic file writing beneath them (``output``), and the comparison of
two folders (``compare``).
"""

from __future__ import annotations

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


def __getattr__(name: str):
    """Load the module that holds ``name`` on first use (importing the package stays cheap
    and cannot close an import circle)."""
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
