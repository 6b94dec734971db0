"""``--out`` run folders (issue 4): written atomically (every file or none, even under
SIGKILL), never over a folder that is not a run without ``--force``, and the same
bytes on every run apart from timing fields."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from optimizer.runs.output import TEST_KILL_ENV

from run_compare import differences, files

sys.path.append(str(Path(__file__).parents[2]))  # tests/, for reliability_cases

from reliability_cases import small_instance  # noqa: E402

REFERENCE = Path(__file__).parents[2] / "data" / "reference" / "public_007.json"
ROOT = Path(__file__).parents[3]


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.json"
    path.write_text(json.dumps(small_instance()))
    return path


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


# ---- refusing and replacing -----------------------------------------------------------
def test_out_folder_rules(small_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = run("solve", str(small_file), "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: --out {out}: folder exists and does not hold a previous run; use --force to replace it"
    ]
    assert result.stdout == ""  # refused before solving
    assert (out / "notes.txt").read_text() == "keep me"
    # --force replaces it
    assert run("solve", str(small_file), "--out", str(out), "--force").exit_code == 0
    assert json.loads((out / "summary.json").read_text())["status"] == "optimal"
    assert not (out / "notes.txt").exists()
    # a previous run is replaced without --force, as a whole (not merged)
    (out / "stale.csv").write_text("from an older version")
    assert run("solve", str(small_file), "--out", str(out)).exit_code == 0
    assert not (out / "stale.csv").exists()
    assert leftovers(tmp_path) == []


def test_infeasible_run_writes_a_summary(tmp_path: Path) -> None:
    raw = small_instance()
    raw["finance"]["min_cash_usd"] = 1e12
    path = tmp_path / "infeasible.json"
    path.write_text(json.dumps(raw))
    out = tmp_path / "run"
    assert run("solve", str(path), "--out", str(out)).exit_code == 1
    assert sorted(files(out)) == ["instance.json", "summary.json", "timings.json"]
    assert json.loads((out / "summary.json").read_text())["status"] == "infeasible"


# ---- SIGKILL while writing -------------------------------------------------------------
PREVIOUS_MARK = "previous-run.txt"  # tells the previous run from the new one


def _outcome(out: Path) -> str:
    """What a reader finds in ``out`` after the kill: the new run complete, the
    previous run kept, or nothing (the previous run then waits in a hidden .old- folder)."""
    if not out.exists():
        return "absent"
    return "previous kept" if (out / PREVIOUS_MARK).exists() else "complete"


# (is there a previous run, the step of write_run at which the process is killed,
# what DIR then holds). write_run writes every file into a scratch folder, moves a
# previous run aside, renames the scratch folder to DIR and only then deletes the
# previous run, so: killed while writing files -> DIR untouched (absent, or the
# previous run); killed between the two renames -> absent; killed after the second
# rename -> the new run, complete.
KILLS = [
    (False, "file:summary.json", "absent"),  # the first file written
    (True, "file:instance.json", "previous kept"),  # the last file written
    (True, "moved-old", "absent"),
    (True, "renamed", "complete"),
]


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory) -> tuple[Path, Path]:
    """A run of the small instance and the instance file it came from."""
    folder = tmp_path_factory.mktemp("reference")
    path = folder / "small.json"
    path.write_text(json.dumps(small_instance()))
    assert run("solve", str(path), "--out", str(folder / "run")).exit_code == 0
    return path, folder / "run"


@pytest.mark.parametrize("previous, step, expected", KILLS)
def test_sigkill_leaves_old_or_new_run(reference_run, tmp_path: Path, previous: bool, step: str, expected: str) -> None:
    """Kill ``allocate solve --out DIR`` with SIGKILL at a chosen step of the writer
    (the fault-injection hook ``optimizer.runs.output.write_step``); DIR must be absent,
    the previous run untouched or the new one complete. The new run equals the
    reference run apart from timings.json, so "complete" is checked file by file."""
    instance, reference = reference_run
    out = tmp_path / "out"
    if previous:
        shutil.copytree(reference, out)
        (out / PREVIOUS_MARK).write_text("the run before")
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "solve", str(instance), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, **{TEST_KILL_ENV: step}),
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, "the writer never reached the step"
    assert _outcome(out) == expected
    olds = [p for p in tmp_path.iterdir() if ".old-" in p.name]
    if expected == "complete":
        assert differences(reference, out) == []
    elif expected == "previous kept":
        assert (out / PREVIOUS_MARK).read_text() == "the run before"
        assert differences(reference, out) == [f"file lists differ: {[PREVIOUS_MARK]}"]
    # a previous run survives the kill: in DIR, or moved aside until the rename is done
    if previous and expected != "previous kept":
        assert len(olds) == 1 and (olds[0] / PREVIOUS_MARK).exists()
    else:
        assert olds == []
    # a kill before the rename leaves the partial new run in a hidden scratch folder only
    scratch = [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    assert len(scratch) == (0 if step == "renamed" else 1)


def test_the_writer_without_the_hook_leaves_no_scratch(reference_run, tmp_path: Path) -> None:
    """The same command without the hook: the run replaces the previous one, nothing left."""
    instance, reference = reference_run
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    (out / PREVIOUS_MARK).write_text("the run before")
    assert run("solve", str(instance), "--out", str(out)).exit_code == 0
    assert differences(reference, out) == []
    assert leftovers(tmp_path) == []


# ---- determinism ---------------------------------------------------------------------------
def test_two_runs_are_identical_apart_from_timings(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    first = run("solve", str(REFERENCE), "--out", str(a), "--json")
    second = run("solve", str(REFERENCE), "--out", str(b), "--json")
    assert first.exit_code == second.exit_code == 0
    assert {"summary.json", "plan.json", "allocation.csv", "finance.csv", "debt.csv", "retrofits.csv", "plan.xlsx"} <= set(files(a))
    assert differences(a, b) == []  # byte for byte, plan.xlsx included; timings.json aside
    def strip(text: str) -> dict:  # the seconds spent differ between runs, nothing else
        out = {k: v for k, v in json.loads(text).items() if k not in ("timings", "solve_seconds")}
        out["verification"].pop("seconds")
        return out

    assert strip(first.stdout) == strip(second.stdout)
    assert "timings" not in json.loads((a / "summary.json").read_text())
    assert set(json.loads((a / "timings.json").read_text())) >= {"build", "solve"}
