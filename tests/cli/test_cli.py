"""The ``allocate`` command line on tiny instances (tests/data/tiny), numbers by hand.

mine_and_lease.json (one quarter, discount 0):
  M: 10 MW at pue 1, eff 20 J/TH = 500 PH/s; hashprice 50, power 40, opex 100,000/MW-year:
     50 * 500 * 91.25 - 10 * 2190 * 40 - 10 * 100,000 * 3/12
     = 2,281,250 - 876,000 - 250,000 = 1,155,250
  A: one 10 IT MW block, lead 0, capex 100,000/IT MW = 1,000,000, lease 100 USD/kW-month:
     10 * 1000 * 100 * 3 - 1,000,000 = 2,000,000
  NPV = 3,155,250
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import cli.solve_cmd as solve_cmd
from cli.main import main
from instances import instance_from_dict
from optimizer import SolveOptions

TINY = Path(__file__).parent.parent / "data" / "tiny"


def usd(x):
    return pytest.approx(x, rel=1e-9, abs=0.5)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# --------------------------------------------------------------------------- solve --json


def test_solve_json_shape_and_numbers():
    res = invoke("solve", TINY / "mine_and_lease.json", "--json", "--mip-gap", "1e-9")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in ("status", "objective_usd", "bound_usd", "mip_gap", "solve_seconds", "periods", "retrofits"):
        assert key in out
    assert out["status"] == "optimal"
    assert out["objective_usd"] == usd(3_155_250)
    assert out["bound_usd"] == usd(3_155_250)
    assert out["mip_gap"] == pytest.approx(0, abs=1e-6)
    assert isinstance(out["solve_seconds"], (int, float)) and out["solve_seconds"] >= 0
    assert out["periods"] == ["2026-01"]
    assert out["retrofits"] == [
        {"site": "A", "start": "2026-01", "blocks": 1, "it_mw": 10.0, "online": "2026-01", "capex_usd": usd(1_000_000)}
    ]


def test_solve_json_online_is_null_after_the_horizon(monkeypatch):
    # late_block.json: lead 2, 2 quarters; a block started in 2026-01 would be online in 2026-07,
    # after the horizon. The optimizer would not build it, so the schedule is fixed through the
    # options the CLI builds. capex 1,000,000 (0.5M + 0.5M), initial cash 5M: NPV = 4,000,000.
    def fixed_options(**kwargs):
        return SolveOptions(fixed_starts={("A", "2026-01"): 1}, **kwargs)

    monkeypatch.setattr(solve_cmd, "SolveOptions", fixed_options)
    res = invoke("solve", TINY / "late_block.json", "--json", "--mip-gap", "1e-9")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["retrofits"] == [
        {"site": "A", "start": "2026-01", "blocks": 1, "it_mw": 10.0, "online": None, "capex_usd": usd(1_000_000)}
    ]
    assert out["objective_usd"] == usd(4_000_000)


def test_solve_json_no_retrofit():
    # late_block.json left to the optimizer: a block online after the horizon is worth nothing,
    # so nothing is built; NPV = initial cash 5,000,000.
    res = invoke("solve", TINY / "late_block.json", "--json")
    assert res.exit_code == 0
    out = json.loads(res.stdout)
    assert out["retrofits"] == []
    assert out["objective_usd"] == usd(5_000_000)


def test_solve_set_override():
    # --set the hashprice to 10: M would earn 10 * 45,625 = 456,250 < 1,126,000 cost -> curtailed,
    # NPV = A only = 2,000,000
    res = invoke("solve", TINY / "mine_and_lease.json", "--json", "--set", "markets.hashprice_usd_per_ph_day=10")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["objective_usd"] == usd(2_000_000)


def test_solve_csv_series_file():
    # csv_series.json: hashprice [40, 50, 60, 20], power [40, 40, 20, 40] from prices.csv, 10 MW;
    # margins 949,000 + 1,405,250 + 2,299,500 + 36,500 = 4,690,250
    res = invoke("solve", TINY / "csv_series.json", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["objective_usd"] == usd(4_690_250)
    assert out["periods"] == ["2026-01", "2026-04", "2026-07", "2026-10"]


MONEY = re.compile(r"^(-?)\$([\d,]+(?:\.(\d+))?)([kMB]?)$")


def parse_money(text: str) -> tuple[float, float]:
    """A report's money figure ("$3.2M", "$926k", "-$12", "$0") as (USD, half a unit of
    its last digit): the rounding the figure may hide."""
    m = MONEY.match(text.strip())
    assert m, text
    unit = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9}[m.group(4)]
    decimals = len(m.group(3) or "")
    value = float(m.group(2).replace(",", "")) * unit * (-1 if m.group(1) else 1)
    return value, 0.5 * unit * 10.0 ** -decimals


TITLES = ("Retrofit schedule", "Average MW per year", "Financing (expected over the horizon)", "Marginal values")


def report_tables(text: str) -> dict[str, list[list[str]]]:
    """The rows of each boxed table of a report, by title (rich may wrap a title)."""
    tables, title, before = {}, None, []
    for line in text.splitlines():
        if line.startswith("┏"):
            joined = " ".join(" ".join(before[-3:]).split())
            known = [t for t in TITLES if t in joined]
            title = known[0] if known else joined  # a table this test does not read
            tables[title] = []
        elif line.startswith("│") and title is not None:
            tables[title].append([cell.strip() for cell in line.strip().strip("│").split("│")])
        elif line.startswith("└"):
            title, before = None, []
        elif not line.startswith(("┃", "┡")):
            before.append(line.strip())
    return tables


def assert_money(text: str, usd: float) -> None:
    value, half = parse_money(text)
    assert abs(value - usd) <= half + 1e-6, (text, usd)


def test_solve_report_numbers_are_the_plan_s(monkeypatch):
    """The text report of public_007: every figure a user reads equals the plan's own
    tables (summed here from the result's finance and allocation, not through the
    report's helpers), up to the rounding of the figure shown."""
    import cli.report

    printed = []
    real = cli.report.print_report

    def spy(result, console=None):
        printed.append(result)
        return real(result, console)

    monkeypatch.setattr(cli.report, "print_report", spy)
    res = invoke("solve", Path(__file__).parent.parent / "data" / "reference" / "public_007.json")
    assert res.exit_code == 0, res.output
    (result,) = printed
    lines = res.stdout.splitlines()
    assert lines[1] == "status     optimal (proven optimal)"
    npv = re.match(r"NPV +(\S+) +\(bound (\S+), gap", lines[2])
    assert_money(npv.group(1), result.objective_usd)
    assert_money(npv.group(2), result.bound_usd)
    tables = report_tables(res.stdout)

    schedule = tables["Retrofit schedule"]
    assert len(schedule) == len(result.retrofits) > 0
    for row, r in zip(schedule, result.retrofits.itertuples()):
        assert row[:3] == [r.site, r.start, str(int(r.blocks))]
        assert float(row[3].replace(",", "")) == pytest.approx(r.it_mw, abs=0.5)
        assert row[4] == r.online
        assert_money(row[5], r.capex_usd)

    # average MW per year: the sites' MW summed per period, averaged over the year's periods
    alloc = result.allocation.groupby(level="period").sum()
    years = alloc.groupby(alloc.index.str[:4]).mean()
    mw = tables["Average MW per year"]
    assert [row[0] for row in mw] == list(years.index)
    for row in mw:
        for cell, col in zip(row[1:], ["mine_mw", "ai_it_mw", "ai_grid_mw", "construction_mw", "idle_mw"]):
            assert float(cell.replace(",", "")) == pytest.approx(years.loc[row[0], col], abs=0.5)

    fin = result.finance
    expected = {"EBITDA": fin["ebitda_usd"].sum(), "AI capex": fin["capex_usd"].sum(), "debt drawn": fin["draws_usd"].sum(),
                "interest": fin["interest_usd"].sum(), "dividends": fin["dividend_usd"].sum(),
                "peak debt": fin["debt_usd"].max(), "lowest cash": fin["cash_usd"].min()}
    financing = {row[0]: row[1] for row in tables["Financing (expected over the horizon)"]}
    assert set(financing) == set(expected)
    for label, usd in expected.items():
        assert_money(financing[label], usd)


def test_solve_report_of_the_tiny_instance_by_hand():
    """mine_and_lease.json (module docstring): NPV 3,155,250; one block at A in 2026-01
    (capex 1,000,000); EBITDA = 1,155,250 + 10 MW * 1000 kW * 100 USD * 3 months = 4,155,250."""
    res = invoke("solve", TINY / "mine_and_lease.json", "--mip-gap", "1e-9")
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[1] == "status     optimal (proven optimal)"
    assert_money(re.match(r"NPV +(\S+)", lines[2]).group(1), 3_155_250)
    tables = report_tables(res.stdout)
    (row,) = tables["Retrofit schedule"]
    assert row[:5] == ["A", "2026-01", "1", "10", "2026-01"]
    assert_money(row[5], 1_000_000)
    assert tables["Average MW per year"] == [["2026", "10", "10", "10", "0", "0"]]
    financing = {r[0]: r[1] for r in tables["Financing (expected over the horizon)"]}
    assert_money(financing["EBITDA"], 4_155_250)
    assert_money(financing["AI capex"], 1_000_000)
    for item in ("debt drawn", "interest", "peak debt"):
        assert financing[item] == "$0"


# --------------------------------------------------------------------------- exit codes


def test_infeasible_exits_1():
    # overhead 100,000 a quarter, no income, no cash, no debt
    res = invoke("solve", TINY / "infeasible.json", "--json")
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert out["status"] == "infeasible"
    assert out["objective_usd"] is None
    assert out["retrofits"] == []


def test_infeasible_report_exits_1():
    res = invoke("solve", TINY / "infeasible.json")
    assert res.exit_code == 1
    assert "infeasible" in res.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["solve", TINY / "bad_list_length.json", "--json"],
        ["solve", TINY / "bad_list_length.json"],
        ["solve", TINY / "does_not_exist.json", "--json"],
        ["solve", TINY / "mine_and_lease.json", "--json", "--set", "markets.hashprise_usd_per_ph_day=10"],
    ],
)
def test_bad_input_exits_2_with_one_line_on_stderr(args):
    res = invoke(*args)
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert res.stdout == ""


def test_bad_list_length_names_the_field():
    res = invoke("solve", TINY / "bad_list_length.json", "--json")
    assert "markets.hashprice_usd_per_ph_day" in res.stderr
    assert "3" in res.stderr  # the length given


# --------------------------------------------------------------------------- --out


def test_out_writes_the_run_folder(tmp_path):
    out_dir = tmp_path / "run"
    res = invoke("solve", TINY / "mine_and_lease.json", "--out", out_dir, "--json", "--mip-gap", "1e-9")
    assert res.exit_code == 0, res.output
    for name in ("allocation.csv", "retrofits.csv", "finance.csv", "summary.json", "plan.json"):
        assert (out_dir / name).is_file(), name
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["objective_usd"] == usd(3_155_250)
    finance = pd.read_csv(out_dir / "finance.csv")
    # EBITDA = 1,155,250 + 3,000,000 = 4,155,250 ; capex 1,000,000
    assert finance["ebitda_usd"].tolist() == [usd(4_155_250)]
    assert finance["capex_usd"].tolist() == [usd(1_000_000)]
    alloc = pd.read_csv(out_dir / "allocation.csv").set_index("site")
    assert alloc.loc["M", "hashrate_ph_s"] == pytest.approx(500)
    assert alloc.loc["A", "ai_it_mw"] == pytest.approx(10)
    retro = pd.read_csv(out_dir / "retrofits.csv")
    assert retro["site"].tolist() == ["A"]
    assert retro["blocks"].tolist() == [1]
    plan = json.loads((out_dir / "plan.json").read_text())
    assert plan["starts"] == [{"site": "A", "period": "2026-01", "blocks": 1}]


def test_out_for_an_infeasible_instance_writes_the_summary(tmp_path):
    out_dir = tmp_path / "run"
    res = invoke("solve", TINY / "infeasible.json", "--out", out_dir, "--json")
    assert res.exit_code == 1
    assert json.loads((out_dir / "summary.json").read_text())["status"] == "infeasible"


# --------------------------------------------------------------------------- validate, example


def test_validate_good_file():
    res = invoke("validate", TINY / "mine_and_lease.json")
    assert res.exit_code == 0
    assert "valid" in res.stdout


def test_validate_bad_file():
    res = invoke("validate", TINY / "bad_list_length.json")
    assert res.exit_code == 2
    assert "markets.hashprice_usd_per_ph_day" in res.stderr


def test_example_prints_the_embedded_default_instance():
    res = invoke("example")
    assert res.exit_code == 0, res.output
    raw = json.loads(res.stdout)
    # the file the package ships (instances/data/default.json), read here directly
    shipped = json.loads((Path(__file__).parents[2] / "instances" / "data" / "default.json").read_text())
    assert raw == shipped
    inst = instance_from_dict(raw)
    assert list(inst.sites.index) == [s["name"] for s in shipped["sites"]]


# --------------------------------------------------------------------------- --threads, --log


def test_threads_and_log_reach_highs():
    """``--threads 1 --log`` in a fresh process (HiGHS keeps one thread pool per
    process): the HiGHS log goes to stderr, says one thread, and reports the optimum
    printed on stdout (public_007's reference value, tests/data/reference/expected.json);
    without ``--log`` stderr stays empty."""
    import subprocess
    import sys

    from models import MONEY_SCALE

    reference = Path(__file__).parent.parent / "data" / "reference"
    expected = json.loads((reference / "expected.json").read_text())["public_007.json"]["objective_usd"]

    def run(*extra):
        return subprocess.run([sys.executable, "-m", "cli.main", "solve", str(reference / "public_007.json"), "--json",
                               "--mip-gap", "1e-9", *extra], capture_output=True, text=True, timeout=300,
                              cwd=Path(__file__).parents[2])

    logged = run("--threads", "1", "--log")
    assert logged.returncode == 0, logged.stderr
    assert json.loads(logged.stdout)["objective_usd"] == pytest.approx(expected, rel=1e-6)
    assert "Running HiGHS" in logged.stderr
    assert "using up to 1 workers across 1 threads" in logged.stderr
    # HiGHS's own report of the optimum, in the model's money unit (MONEY_SCALE USD)
    primal = [line.split()[-1] for line in logged.stderr.splitlines() if line.strip().startswith("Primal bound")]
    assert primal and float(primal[0]) * MONEY_SCALE == pytest.approx(expected, rel=1e-6)
    quiet = run()
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert json.loads(quiet.stdout)["objective_usd"] == pytest.approx(expected, rel=1e-6)
