"""``allocate plot`` / ``allocate report`` on a run folder, the self-contained HTML
report (rendered by headless Chromium when present), and the live solve progress."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from cli.main import main
from instances import load_instance
from models import MONEY_SCALE, build_model, prepare
from optimizer.reports.charts import CHARTS
from optimizer.backend.progress import HighsLogParser, LiveProgress, parse_mip_row

REF = Path(__file__).parent.parent / "data" / "reference"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "run"
    res = CliRunner().invoke(main, ["solve", str(REF / "public_007.json"), "--out", str(folder), "--quiet"])
    assert res.exit_code == 0, res.output + res.stderr
    assert res.stderr == ""  # no progress line when stderr is not a terminal
    return folder


@pytest.fixture
def no_plan_run(tmp_path) -> Path:
    folder = tmp_path / "infeasible"
    res = CliRunner().invoke(main, ["solve", str(REF / "public_003.json"), "--out", str(folder), "--quiet", "--json"])
    assert res.exit_code == 1
    return folder


@pytest.fixture(scope="module")
def report(run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    res = CliRunner().invoke(main, ["report", str(run), "-o", str(out)])
    assert res.exit_code == 0, res.output + res.stderr
    assert res.output.strip() == str(out)
    return out


def test_solve_out_writes_workbook_and_charts(run):
    assert (run / "plan.xlsx").read_bytes()[:2] == b"PK"
    assert sorted(p.name for p in (run / "charts").iterdir()) == sorted(f"{c}.png" for c in CHARTS)


def test_plot_redraws_the_charts_of_a_run(run, tmp_path):
    res = CliRunner().invoke(main, ["plot", str(run), "-o", str(tmp_path / "png")])
    assert res.exit_code == 0, res.output + res.stderr
    paths = [Path(line) for line in res.output.split()]
    assert sorted(p.name for p in paths) == sorted(f"{c}.png" for c in CHARTS)
    assert all(p.read_bytes().startswith(PNG) for p in paths)
    # the images are the charts of the run's tables, whose data
    # tests/optimizer/reports/test_charts.py reads back from the figures
    from optimizer.reports.charts import render_charts
    from optimizer.runs.folder import load_tables

    expected = render_charts(load_tables(run))
    assert {p.stem: p.read_bytes() for p in paths} == expected


def test_plot_and_report_refuse_a_folder_that_is_not_a_run(tmp_path):
    for cmd in ("plot", "report"):
        res = CliRunner().invoke(main, [cmd, str(tmp_path)])
        assert res.exit_code == 2
        assert "not a run folder" in res.stderr


def test_plot_of_a_run_without_plan_says_so(no_plan_run):
    res = CliRunner().invoke(main, ["plot", str(no_plan_run)])
    assert res.exit_code == 1
    assert "no plan" in res.stderr


def test_report_is_one_self_contained_html_file(run, report):
    text = report.read_text(encoding="utf-8")
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    assert len(images) == len(CHARTS)
    assert all(base64.b64decode(b).startswith(PNG) for b in images)
    # nothing fetched from anywhere: no external source, link, script or CSS url()
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:|//)""", text)
    assert "<script" not in text and "<link" not in text and "url(" not in text and "@import" not in text
    assert "<style>" in text
    # the figures of the run folder
    summary = json.loads((run / "summary.json").read_text())
    assert f"${summary['objective_usd'] / 1e6:,.1f}M" in text
    assert summary["status"] in text
    retrofits = pd.read_csv(run / "retrofits.csv", dtype=str)
    for start in retrofits["start"]:
        assert f"<td class=''>{start}</td>" in text
    finance = pd.read_csv(run / "finance.csv", dtype={"period": str})
    for period, ebitda in zip(finance["period"], finance["ebitda_usd"]):
        assert period in text and f"{ebitda / 1e6:,.2f}" in text


def test_report_default_path_and_a_run_without_plan(no_plan_run):
    res = CliRunner().invoke(main, ["report", str(no_plan_run)])
    assert res.exit_code == 0, res.output + res.stderr
    text = (no_plan_run / "report.html").read_text()
    summary = json.loads((no_plan_run / "summary.json").read_text())
    assert summary["status"] in text and "no plan" in text
    assert "data:image/png" not in text


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium not installed")
def test_report_renders_in_headless_chromium_with_its_charts(report, tmp_path):
    out = report
    shot = tmp_path / "shot.png"
    profile = tempfile.mkdtemp(prefix="chromium-")
    try:
        proc = subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--window-size=1280,4200", "--hide-scrollbars", f"--screenshot={shot}", out.as_uri()],
            capture_output=True, text=True, timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert shot.is_file(), proc.stderr[-2000:]
    with Image.open(shot) as im:
        pixels = np.asarray(im.convert("RGB"), dtype=int)
    # the page's CSS has no orange or strong blue: these pixels come from the charts
    # (mining #e69f00, AI hosting #0072b2), so the embedded PNGs were decoded and shown
    mining = (np.abs(pixels - np.array([230, 159, 0])).sum(axis=2) < 30).sum()
    ai = (np.abs(pixels - np.array([0, 114, 178])).sum(axis=2) < 30).sum()
    assert mining > 5000 and ai > 1000, (mining, ai)


# --------------------------------------------------------------------------- progress


def test_progress_parser_follows_the_highs_log_to_the_optimum():
    model = build_model(prepare(load_instance(REF / "public_007.json")))
    from pyomo.contrib.solver.common.factory import SolverFactory

    states = []
    parser = HighsLogParser(callback=states.append)
    res = SolverFactory("highs").solve(model, rel_gap=1e-9, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                                       solver_options={"random_seed": 0}, tee=[parser])
    final = parser.state
    assert any(s.phase == "branch and bound" for s in states)
    assert final.best_usd == pytest.approx(res.incumbent_objective * MONEY_SCALE, rel=1e-8)
    assert final.bound_usd == pytest.approx(res.objective_bound * MONEY_SCALE, rel=1e-8)
    assert final.gap == pytest.approx(0.0, abs=1e-4)
    assert parse_mip_row("Presolving model") is None
    assert parse_mip_row("5616 rows, 6984 cols, 26512 nonzeros 0s") is None


def _replay(progress, text: str) -> None:
    for line in text.splitlines(keepends=True):
        progress.write(line)


def _log_and_best() -> tuple[str, float]:
    log = io.StringIO()
    model = build_model(prepare(load_instance(REF / "public_007.json")))
    from pyomo.contrib.solver.common.factory import SolverFactory

    res = SolverFactory("highs").solve(model, rel_gap=1e-9, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                                       solver_options={"random_seed": 0}, tee=[log])
    return log.getvalue(), res.incumbent_objective * MONEY_SCALE


class FakeClock:
    """Seconds that move only when the test moves them (``LiveProgress(clock=...)``)."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _drain(master: int) -> str:
    out = b""
    while select.select([master], [], [], 0.1)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return out.decode(errors="replace")


def test_live_progress_line_after_one_second_on_a_terminal_and_silence_elsewhere(tmp_path):
    """The line appears once the (injected) clock says 1 s has passed, not a tick before."""
    import pty

    log, best = _log_and_best()
    lines = log.splitlines(keepends=True)
    half = len(lines) // 2
    master, slave = pty.openpty()
    term = os.fdopen(slave, "w")
    clock = FakeClock()
    shown = LiveProgress(file=term, clock=clock).start()  # the default delay: 1 s
    clock.now = 100.999
    for line in lines[:half]:
        shown.write(line)
    shown.tick()  # what the timer does: still before the delay
    assert not shown.shown
    clock.now = 101.0
    for line in lines[half:]:
        shown.write(line)
    assert shown.shown
    shown.stop()
    term.close()
    text = _drain(master)
    assert f"best ${best / 1e6:,.2f}M" in text and "gap 0.00%" in text and "solving 1.0 s" in text

    plain = tmp_path / "stderr.txt"
    with open(plain, "w") as fh:  # not a terminal: nothing shown, however late
        clock = FakeClock()
        quiet = LiveProgress(file=fh, clock=clock).start()
        clock.now += 60
        _replay(quiet, log)
        quiet.tick()
        quiet.stop()
    assert not quiet.shown and plain.read_text() == ""


# ``allocate solve`` in a child process on a terminal, with the progress line's clock
# replaced by one that moves 0.25 s at every reading: the line is due after four
# readings, whatever the speed of the machine.
PROGRESS_CHILD = """
import itertools, sys
import optimizer.backend.progress as progress
ticks = itertools.count(0.0, 0.25)
progress.LiveProgress.clock = staticmethod(lambda: next(ticks))
import cli.main
sys.argv = ["allocate", "solve", *sys.argv[1:]]
cli.main.main()
"""


def _solve_on_a_terminal(instance: Path, *extra: str) -> subprocess.Popen:
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", PROGRESS_CHILD, str(instance), *extra],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave,
                            cwd=Path(__file__).parent.parent.parent)
    os.close(slave)
    proc.master = master
    return proc


def _read_all(proc: subprocess.Popen, timeout: float = 120) -> str:
    out, end = b"", time.monotonic() + timeout
    while time.monotonic() < end:
        if select.select([proc.master], [], [], 0.2)[0]:
            try:
                chunk = os.read(proc.master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(proc.master)
    return out.decode(errors="replace")


def test_solve_longer_than_a_second_shows_progress_unless_quiet():
    instance = REF / "public_007.json"
    loud = _solve_on_a_terminal(instance)
    loud_text = _read_all(loud)
    quiet = _solve_on_a_terminal(instance, "--quiet")
    quiet_text = _read_all(quiet)
    assert loud.returncode == quiet.returncode == 0
    assert re.search(r"solving \d+\.\d s", loud_text), loud_text[-2000:]
    assert "solving" not in quiet_text, quiet_text[-2000:]
