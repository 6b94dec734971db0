"""Run folders before and after a change: written by one code tree, compared byte for byte.

Usage (from the project root)::

    # write the run folders of the default instance and every reference case
    python benchmarks/run_folders_identical.py write OUT_DIR [--pythonpath TREE] [--python PY]
    # compare two such sets; exit 0 when every file but timings.json is identical
    python benchmarks/run_folders_identical.py compare BEFORE_DIR AFTER_DIR

``write`` runs ``allocate solve INSTANCE --out OUT_DIR/NAME --quiet`` once per
instance with the given interpreter and ``PYTHONPATH`` (so an older checkout,
e.g. ``git worktree add /tmp/before COMMIT``, can write the "before" set).
``compare`` lists every file that differs, is missing on one side, or is extra;
``timings.json`` holds wall-clock seconds and is left out on purpose.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

CASES = Path("/work/shared/cases")
SKIP = {"timings.json"}  # wall-clock seconds: differ between any two runs
ENTRY = "import sys; from cli.entry import main; sys.argv[0] = 'allocate'; main()"


def instances(cases: Path = CASES) -> list[tuple[str, str | None]]:
    """(name, path) of the default instance (path None) and every reference case."""
    return [("default", None)] + [(p.stem, str(p)) for p in sorted(cases.glob("*.json")) if p.name != "expected.json"]


def write(out: Path, python: str, pythonpath: str | None, cases: Path = CASES) -> None:
    """One run folder per instance under ``out``; the exit code of each solve is printed."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    for name, path in instances(cases):
        args = [python, "-c", ENTRY, "solve"] + ([path] if path else []) + ["--out", str(out / name), "--quiet", "--force"]
        proc = subprocess.run(args, env=env, capture_output=True, text=True)
        print(f"{name}: exit {proc.returncode}", flush=True)
        if proc.returncode == 2:
            print(proc.stderr.strip(), file=sys.stderr)


def files(folder: Path) -> set[Path]:
    """Every file below ``folder`` (relative paths), timings.json left out."""
    return {p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and p.name not in SKIP}


def compare(before: Path, after: Path) -> list[str]:
    """One line per difference between the two sets of run folders (empty: identical)."""
    a, b = files(before), files(after)
    diffs = [f"only before: {p}" for p in sorted(a - b)] + [f"only after: {p}" for p in sorted(b - a)]
    diffs += [f"differs: {p}" for p in sorted(a & b) if (before / p).read_bytes() != (after / p).read_bytes()]
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="write the run folders")
    w.add_argument("out", type=Path)
    w.add_argument("--python", default=sys.executable)
    w.add_argument("--pythonpath", default=None, help="code tree to import (default: the current PYTHONPATH)")
    w.add_argument("--cases", type=Path, default=CASES)
    c = sub.add_parser("compare", help="compare two sets byte for byte (timings.json left out)")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "write":
        write(args.out, args.python, args.pythonpath, args.cases)
        return 0
    diffs = compare(args.before, args.after)
    n = len(files(args.before))
    for line in diffs:
        print(line)
    print(f"{n} files compared (timings.json left out): " + ("identical" if not diffs else f"{len(diffs)} differences"))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
