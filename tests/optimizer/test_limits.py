"""Time limits and Ctrl-C (issue 4): a plan in hand is kept and reported (status
``feasible``, exit 0); without one the status is ``no_solution`` (exit 1); never a
traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from instances import instance_from_dict
from optimizer import SolveOptions, Status, solve
from optimizer.backend.interrupt import interruptible
from optimizer.backend.status import classify

sys.path.append(str(Path(__file__).parents[1]))  # tests/, for reliability_cases

from reliability_cases import hard_instance  # noqa: E402

SOLVE_MODULE = sys.modules["optimizer.solve"]  # the package re-exports the function `solve`


@pytest.fixture(scope="module")
def hard_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hard") / "hard.json"
    path.write_text(json.dumps(hard_instance(20, 20)))
    return path


# ---- status mapping ------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, has_plan, status, words",
    [
        ("kTimeLimit", True, Status.FEASIBLE, "time limit reached with a plan"),
        ("kTimeLimit", False, Status.NO_SOLUTION, "time limit reached before any plan"),
        ("kInterrupt", True, Status.FEASIBLE, "interrupted with a plan"),
        ("kInterrupt", False, Status.NO_SOLUTION, "interrupted before any plan"),
        ("HighsModelStatus.kIterationLimit", True, Status.FEASIBLE, "iteration limit"),
        ("kOptimal", True, Status.OPTIMAL, "proven optimal"),
        ("kInfeasible", False, Status.INFEASIBLE, "no plan satisfies"),
        ("kSolveError", False, Status.ERROR, "kSolveError"),
    ],
)
def test_classify(name: str, has_plan: bool, status: Status, words: str) -> None:
    got, reason = classify(name, has_plan)
    assert got is status
    assert words in reason
    assert got.exit_code == (0 if has_plan and status in (Status.OPTIMAL, Status.FEASIBLE) else 1)


# ---- time limits on a MIP HiGHS cannot close quickly ----------------------------------
def test_tiny_time_limit_without_plan(hard_file: Path) -> None:
    # one nanosecond: HiGHS reads its clock before its first heuristic, so no machine
    # is fast enough to find a plan within it
    result = CliRunner().invoke(main, ["solve", str(hard_file), "--time-limit", "1e-9", "--mip-gap", "1e-9"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1
    assert "status     no_solution (time limit reached before any plan was found)" in result.stdout
    assert result.stderr == "no plan: time limit reached before any plan was found\n"


def test_a_limit_with_a_plan_in_hand(hard_file: Path, monkeypatch) -> None:
    """HiGHS stopped by a limit after its first plan (a solution limit instead of a
    time limit: it counts plans, not seconds, so it stops at the same point on every
    machine): status ``feasible``, exit 0, the plan and its gap reported."""
    monkeypatch.setitem(SOLVE_MODULE.HIGHS_DEFAULTS, "mip_max_improving_sols", 1)
    result = CliRunner().invoke(main, ["solve", str(hard_file), "--mip-gap", "1e-9", "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "feasible"
    assert data["reason"] == "solution limit reached with a plan in hand"
    # the first plan of the hard instance is ~10% below the root bound: far from 1e-9
    assert data["mip_gap"] > 1e-9
    assert data["bound_usd"] >= data["objective_usd"]


# ---- Ctrl-C ------------------------------------------------------------------------------
class _FakeHighs:
    def __init__(self) -> None:
        self.cancelled = 0

    def cancelSolve(self) -> None:  # noqa: N802 - highspy's name
        self.cancelled += 1


def test_interruptible_routes_sigint_to_highs() -> None:
    fake = _FakeHighs()
    before = signal.getsignal(signal.SIGINT)
    with interruptible(lambda: fake) as state:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)  # the handler runs between bytecodes of the main thread
        assert state.requested and fake.cancelled == 1
        with pytest.raises(KeyboardInterrupt):  # a second Ctrl-C gets the user out
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)
    assert signal.getsignal(signal.SIGINT) is before


def test_interruptible_before_highs_exists() -> None:
    with pytest.raises(KeyboardInterrupt):
        with interruptible(lambda: None):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)


def test_ctrl_c_keeps_the_incumbent(hard_file: Path, monkeypatch) -> None:
    """SIGINT sent by HiGHS's own callback as soon as it finds its first plan: HiGHS
    stops at its next interrupt check and the CLI reports that plan."""
    fired = []

    def on_plan(event) -> None:
        if not fired:
            fired.append(True)
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(SOLVE_MODULE, "new_highs", with_plan_callback(SOLVE_MODULE.new_highs, on_plan))
    result = CliRunner().invoke(main, ["solve", str(hard_file), "--mip-gap", "1e-9"])
    assert fired, "HiGHS found no plan"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "status     feasible (interrupted with a plan in hand)" in result.stdout
    assert "Retrofit schedule" in result.stdout or "every site keeps mining" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def with_plan_callback(real_factory, on_plan):
    """``new_highs`` wrapped so that ``on_plan`` is subscribed to HiGHS's improving-plan
    callback after the model is passed and before HiGHS runs (an observation hook)."""

    def factory():
        handle = real_factory()
        real_run = handle.run

        def run(*args, **kwargs):
            handle.highs.cbMipImprovingSolution += on_plan
            return real_run(*args, **kwargs)

        handle.run = run
        return handle

    return factory


# Runs ``allocate solve`` in a child process that, at HiGHS's first plan, writes a
# marker file and holds HiGHS inside the callback until the test has sent its SIGINT
# (it then writes a second file): the signal reaches a solve that is still running,
# whatever the speed of the machine.
CHILD = """
import os, sys, time
marker, sent, instance = sys.argv[1], sys.argv[2], sys.argv[3]
sys.argv = ["allocate", "solve", instance, "--mip-gap", "1e-9"]
import cli.main
import optimizer.solve  # cli.main loads the solve command (and optimizer.solve) only when it runs
module = sys.modules["optimizer.solve"]
real = module.new_highs
def on_plan(event):
    if not os.path.exists(marker):
        open(marker, "w").close()
        while not os.path.exists(sent):
            time.sleep(0.001)
def factory():
    handle = real()
    real_run = handle.run
    def run(*args, **kwargs):
        handle.highs.cbMipImprovingSolution += on_plan
        return real_run(*args, **kwargs)
    handle.run = run
    return handle
module.new_highs = factory
cli.main.main()
"""


def test_ctrl_c_in_a_subprocess(hard_file: Path, tmp_path: Path) -> None:
    """A real SIGINT to a solving ``allocate``: clean exit, the plan in hand reported."""
    marker, sent = tmp_path / "has_plan", tmp_path / "sent"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(marker), str(sent), str(hard_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marker.exists(), "HiGHS found no plan"
        assert proc.poll() is None, "the solve ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        sent.touch()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Traceback" not in out + err
    assert proc.returncode == 0, (proc.returncode, out, err[-2000:])
    assert "status     feasible (interrupted with a plan in hand)" in out
    assert "NPV" in out
    assert err == ""


def test_solve_api_time_limit_without_plan() -> None:
    """The library call (no CLI) gives the same statuses."""
    raw = hard_instance(8, 8)
    result = solve(instance_from_dict(raw), SolveOptions(time_limit=1e-9, mip_gap=1e-9))
    assert result.status is Status.NO_SOLUTION
    assert result.objective_usd is None and result.allocation is None
