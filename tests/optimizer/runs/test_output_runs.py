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
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from optimizer.runs.output import TEST_KILL_ENV, TEST_NO_EXCHANGE_ENV

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
    # a previous run is refused without --force (issue 19), replaced with it as a whole (not merged)
    (out / "stale.csv").write_text("from an older version")
    before = snapshot(out)
    refused = run("solve", str(small_file), "--out", str(out))
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        f"error: --out {out}: holds a previous run; use --force to replace it (once the new run is complete) or choose another folder"
    ]
    assert snapshot(out) == before
    assert run("solve", str(small_file), "--out", str(out), "--force").exit_code == 0
    assert not (out / "stale.csv").exists()
    assert leftovers(tmp_path) == []


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes): "byte-identical" made testable."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("command", [
    ["solve", "{instance}"],
    ["sweep", "{instance}", "--vary", "finance.min_cash_usd=0,1"],
    ["why", "{instance}"],
    ["evaluate", "{instance}", "{plan}"],
])
def test_every_out_refuses_a_previous_run(command: list[str], small_file: Path, tmp_path: Path) -> None:
    """Each command with --out leaves a folder holding a run byte-identical without --force."""
    out = tmp_path / "last_week"
    assert run("solve", str(small_file), "--out", str(out)).exit_code == 0
    before = snapshot(out)
    args = [a.format(instance=small_file, plan=out / "plan.json") for a in command]
    result = run(*args, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "holds a previous run; use --force" in result.stderr
    assert snapshot(out) == before


def test_infeasible_rerun_keeps_the_plan_until_forced(small_file: Path, tmp_path: Path) -> None:
    """Issue 19: "an infeasible rerun leaves 3 files where last week's plan was". Without
    --force the plan stays byte for byte; with --force the infeasible run replaces it
    (as documented in docs/reliability.md), once its folder is complete."""
    out = tmp_path / "run"
    assert run("solve", str(small_file), "--out", str(out)).exit_code == 0
    before = snapshot(out)
    raw = json.loads(small_file.read_text())
    raw["finance"]["min_cash_usd"] = 1e12  # no plan can keep this much cash
    bad = tmp_path / "infeasible.json"
    bad.write_text(json.dumps(raw))
    assert run("solve", str(bad), "--out", str(out)).exit_code == 2
    assert snapshot(out) == before
    assert run("solve", str(bad), "--out", str(out), "--force").exit_code == 1
    assert sorted(files(out)) == ["instance.json", "summary.json", "timings.json"]
    assert json.loads((out / "summary.json").read_text())["status"] == "infeasible"
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


def can_exchange(parent: Path) -> bool:
    """Whether this system swaps two folders atomically (then a previous run is never absent)."""
    from optimizer.runs.output import exchange

    probe = Path(tempfile.mkdtemp(dir=parent))
    try:
        (probe / "a").mkdir()
        (probe / "b").mkdir()
        return exchange(probe / "a", probe / "b")
    finally:
        shutil.rmtree(probe)


# ---- SIGKILL while writing -------------------------------------------------------------
PREVIOUS_MARK = "previous-run.txt"  # tells the previous run from the new one


def _outcome(out: Path) -> str:
    """What a reader finds in ``out`` after the kill: the new run complete, the
    previous run kept, or nothing (the previous run then waits in a hidden .old- folder)."""
    if not out.exists():
        return "absent"
    return "previous kept" if (out / PREVIOUS_MARK).exists() else "complete"


# (is there a previous run, may the system exchange two folders atomically, the step of
# write_run at which the process is killed, what DIR then holds). write_run writes
# every file into a scratch folder; then, where the system can (Linux: renameat2),
# it exchanges the scratch folder and DIR in one step, else it moves the previous run
# aside and renames the scratch folder to DIR; only then is the previous run deleted.
# So: killed while writing files -> DIR untouched (absent, or the previous run);
# killed between the two renames (no exchange) -> absent, the previous run in a
# hidden folder; killed after the new run took DIR's name -> the new run, complete.
KILLS = [
    (False, True, "file:summary.json", "absent"),  # the first file written
    (True, True, "file:instance.json", "previous kept"),  # the last file written
    (True, True, "renamed", "complete"),  # exchanged: the previous run waits in the scratch folder
    (True, False, "moved-old", "absent"),
    (True, False, "renamed", "complete"),
]


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory) -> tuple[Path, Path]:
    """A run of the small instance and the instance file it came from."""
    folder = tmp_path_factory.mktemp("reference")
    path = folder / "small.json"
    path.write_text(json.dumps(small_instance()))
    assert run("solve", str(path), "--out", str(folder / "run")).exit_code == 0
    return path, folder / "run"


@pytest.mark.parametrize("previous, exchange_ok, step, expected", KILLS)
def test_sigkill_leaves_old_or_new_run(reference_run, tmp_path: Path, previous: bool, exchange_ok: bool, step: str, expected: str) -> None:
    """Kill ``allocate solve --out DIR --force`` with SIGKILL at a chosen step of the
    writer (the fault-injection hook ``optimizer.runs.output.write_step``); DIR must be
    absent, the previous run untouched or the new one complete, and a previous run
    is never lost. The new run equals the reference run apart from timings.json, so
    "complete" is checked file by file."""
    instance, reference = reference_run
    if exchange_ok and previous and step == "renamed" and not can_exchange(tmp_path):
        pytest.skip("this system cannot exchange two folders atomically")
    out = tmp_path / "out"
    if previous:
        shutil.copytree(reference, out)
        (out / PREVIOUS_MARK).write_text("the run before")
    env = dict(os.environ, **{TEST_KILL_ENV: step})
    if not exchange_ok:
        env[TEST_NO_EXCHANGE_ENV] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "solve", str(instance), "--out", str(out), "--force"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, "the writer never reached the step"
    assert _outcome(out) == expected
    if expected == "complete":
        assert differences(reference, out) == []
    elif expected == "previous kept":
        assert (out / PREVIOUS_MARK).read_text() == "the run before"
        assert differences(reference, out) == [f"file lists differ: {[PREVIOUS_MARK]}"]
    hidden = [p for p in tmp_path.iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    keeping = [p for p in hidden if (p / PREVIOUS_MARK).exists()]
    # a previous run survives the kill: in DIR, or in one hidden folder until it is deleted
    assert len(keeping) == (1 if previous and expected != "previous kept" else 0)
    # a kill before the new run takes DIR's name leaves it, partial, in one scratch folder
    partial = [p for p in hidden if p not in keeping]
    assert len(partial) == (0 if step == "renamed" else 1)
    assert all(".tmp-" in p.name for p in partial)


def test_the_writer_without_the_hook_leaves_no_scratch(reference_run, tmp_path: Path) -> None:
    """The same command without the hook: the run replaces the previous one, nothing left."""
    instance, reference = reference_run
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    (out / PREVIOUS_MARK).write_text("the run before")
    assert run("solve", str(instance), "--out", str(out), "--force").exit_code == 0
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
