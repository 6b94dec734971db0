"""``--out`` run folders (issue 4): written atomically (every file or none, even under
SIGKILL), never over a folder that is not a run without ``--force``, and the same
bytes on every run apart from timing fields."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from optimizer.runs.output import TEST_PAUSE_ENV

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
def test_sigkill_leaves_old_or_new_run(small_file: Path, tmp_path: Path) -> None:
    """Kill ``allocate solve --out DIR`` at random moments while it writes (a test hook
    pauses after each file and before the final rename); DIR must always be absent,
    the previous run or the new one, complete. The new run equals the previous one
    apart from timings.json, so "complete" is checked against a reference run file by file."""
    reference = tmp_path / "reference"
    assert run("solve", str(small_file), "--out", str(reference)).exit_code == 0
    n_files = len(list(reference.iterdir()))
    out = tmp_path / "out"
    pause = 0.05
    env = dict(os.environ, **{TEST_PAUSE_ENV: str(pause)})
    rng = random.Random(4)
    outcomes = []
    for attempt in range(3):
        if attempt == 1:  # from the second try on there is a previous run to protect
            shutil.copytree(reference, out)
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "solve", str(small_file), "--out", str(out), "--force"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + 60
            while not any(".tmp-" in p.name for p in tmp_path.iterdir()) and time.monotonic() < deadline:
                assert proc.poll() is None, "the run ended before it started writing"
                time.sleep(0.002)
            # writing has started: (n_files + 1) pauses cover the files and the swap
            time.sleep(rng.uniform(0, (n_files + 1) * pause))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        if out.exists():
            assert differences(reference, out) == [], f"attempt {attempt}: incomplete run"
            outcomes.append("complete")
        else:
            # killed before the rename (first try), or between the two renames where the
            # system cannot exchange two folders in one step
            assert attempt == 0 or (not can_exchange(tmp_path) and any(".old-" in p.name for p in tmp_path.iterdir()))
            outcomes.append("absent")
        for p in tmp_path.iterdir():  # what a killed run leaves: hidden scratch folders
            if ".tmp-" in p.name or ".old-" in p.name:
                shutil.rmtree(p)
    assert len(outcomes) == 3


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
