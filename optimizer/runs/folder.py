"""The run folder: the one writer and the one reader of the files ``allocate`` writes.

    from optimizer.runs.folder import write_result, load_tables, Run
    write_result(result, "runs/base")          # allocate solve --out runs/base
    tables = load_tables("runs/base")          # the tables, indexed as on Result
    run = Run("runs/base")                     # the files as read by allocate compare

A solve's folder holds allocation.csv, retrofits.csv, finance.csv, debt.csv,
scenarios.csv, sensitivities.csv, summary.json, plan.json, instance.json,
timings.json, plan.xlsx and charts/*.png; every file but timings.json holds the same
bytes in two runs of one instance. ``evaluate --out``, ``sweep --out`` and ``why --out``
write their own, smaller folders here too. Files are replaced atomically
(``optimizer.runs.output.write_run``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from optimizer.analyses.explain import explanation_json
from optimizer.runs.output import dumps, write_csv, write_run

# --------------------------------------------------------------------------- writers


def write_result(result, out_dir: str, force: bool = False, explanation=None, baselines: dict | None = None) -> Path:
    """The run folder: allocation.csv, retrofits.csv, finance.csv, debt.csv, fleets.csv (SPEC v2
    instances), summary.json, plan.json,
    plan.xlsx (``optimizer.reports.workbook``) and charts/*.png (``optimizer.reports.charts``). Every file but
    timings.json holds the same bytes in two runs of one instance."""
    summary = result.summary()
    if explanation is not None:
        summary["explanation"] = explanation_json(explanation)
    if baselines is not None:  # allocate solve --baselines (optimizer.analyses.baselines)
        summary["baselines"] = baselines
    writers = {"summary.json": lambda p: p.write_text(dumps(summary)), "timings.json": lambda p: p.write_text(dumps(result.timing_figures()))}
    if result.has_plan:
        writers.update(
            {
                "allocation.csv": lambda p: write_csv(result.allocation, p),
                "retrofits.csv": lambda p: write_csv(result.retrofits.set_index("site"), p),
                "finance.csv": lambda p: write_csv(result.finance, p),
                "debt.csv": lambda p: write_csv(result.debt, p),
                "scenarios.csv": lambda p: write_csv(result.scenario_npv, p),
                "plan.json": lambda p: p.write_text(dumps(result.plan)),
            }
        )
        if getattr(result, "fleets", None) is not None:  # SPEC v2 instances only
            writers["fleets.csv"] = lambda p: write_csv(result.fleets, p)
        if getattr(result, "sensitivities", None) is not None:
            writers["sensitivities.csv"] = lambda p: write_csv(result.sensitivities.set_index("kind"), p)
        from optimizer.reports.charts import draw_charts, tables_from_result
        from optimizer.reports.workbook import write_workbook

        extra = {"baselines": baselines} if baselines is not None else {}  # solve --baselines: one more sheet
        writers["plan.xlsx"] = lambda p: write_workbook(result, p, **extra)
        writers["charts"] = lambda p: draw_charts(tables_from_result(result), p)  # charts/*.png
    writers["instance.json"] = lambda p: p.write_text(dumps(result.instance.raw))
    return write_run(out_dir, writers, force=force)


def evaluation_json(ev) -> dict:
    """The ``evaluate --json`` object and the summary.json of its folder."""
    return {
        "instance": ev.instance.name,
        "objective_usd": ev.objective_usd,
        "expected_npv_usd": ev.expected_npv_usd,
        "feasible": ev.feasible,
        "scenario_npv_usd": {w: float(v) for w, v in ev.scenario_npv["npv_usd"].items()},
        "violations": ev.violation_records(),
        "warnings": list(ev.warnings),
    }


def write_evaluation(ev, out_dir: str, force: bool = False) -> Path:
    """The folder of ``allocate evaluate --out``: summary.json (:func:`evaluation_json`),
    allocation.csv, finance.csv, debt.csv, scenarios.csv, violations.csv (SPEC v2 instances:
    also fleets.csv and mining.csv); raises OutputError."""
    writers = {
        "summary.json": lambda p: p.write_text(dumps(evaluation_json(ev))),
        "allocation.csv": lambda p: write_csv(ev.allocation, p),
        "finance.csv": lambda p: write_csv(ev.finance, p),
        "debt.csv": lambda p: write_csv(ev.debt, p),
        "scenarios.csv": lambda p: write_csv(ev.scenario_npv, p),
        "violations.csv": lambda p: write_csv(ev.violations.set_index("constraint"), p),
    }
    if ev.instance.is_v2:  # SPEC v2: fleets (bought, retired, installed) and mining per fleet and tier
        writers["fleets.csv"] = lambda p: write_csv(ev.fleet, p)
        writers["mining.csv"] = lambda p: write_csv(ev.mining, p)
    return write_run(out_dir, writers, force=force)


def write_sweep(rows: pd.DataFrame, summary: dict, out_dir: str, force: bool = False) -> Path:
    """The folder of ``allocate sweep --out``: sweep.csv (one row per case) and summary.json."""
    writers = {
        "sweep.csv": lambda p: write_csv(rows.set_index("case"), p),
        "summary.json": lambda p: p.write_text(dumps(summary)),
    }
    return write_run(out_dir, writers, force=force)


def write_site_values(summary: dict, table: pd.DataFrame, out_dir: str, force: bool = False) -> Path:
    """The folder of ``allocate why --out``: summary.json and site_values.csv."""
    return write_run(out_dir, {"summary.json": lambda p: p.write_text(dumps(summary)), "site_values.csv": lambda p: write_csv(table.set_index("site"), p)}, force=force)


# --------------------------------------------------------------------------- readers

_KEYS = {"scenario": str, "site": str, "period": str, "facility": str, "start": str, "online": str, "fleet": str}
_CSV = {
    "allocation": ("allocation.csv", ["scenario", "site", "period"]),
    "finance": ("finance.csv", ["scenario", "period"]),
    "debt": ("debt.csv", ["scenario", "facility", "period"]),
    "scenarios": ("scenarios.csv", ["scenario"]),
    "fleets": ("fleets.csv", ["scenario", "site", "fleet", "period"]),  # SPEC v2 runs only
}


class RunFolderError(Exception):
    """The folder is not a run folder written by ``solve --out``."""


def load_tables(run_dir: str | Path) -> dict:
    """The tables of a run folder, indexed as on :class:`Result` (None when absent).

    Keys: summary (dict), instance (raw dict or None), allocation, retrofits,
    finance, debt, scenarios, fleets (SPEC v2 runs) (DataFrames or None).
    """
    folder = Path(run_dir)
    if not (folder / "summary.json").is_file():
        raise RunFolderError(f"{folder}: not a run folder (no summary.json); write one with `allocate solve --out {folder}`")
    tables: dict = {"summary": json.loads((folder / "summary.json").read_text())}
    raw = folder / "instance.json"
    tables["instance"] = json.loads(raw.read_text()) if raw.is_file() else None
    for key, (name, index) in _CSV.items():
        path = folder / name
        tables[key] = pd.read_csv(path, index_col=list(range(len(index))), dtype=_KEYS) if path.is_file() else None
    path = folder / "retrofits.csv"
    tables["retrofits"] = pd.read_csv(path, dtype=_KEYS) if path.is_file() else None
    return tables


class RunError(Exception):
    """A folder is not a readable run."""


def _flat(table: pd.DataFrame | None) -> pd.DataFrame | None:
    """A table of :func:`load_tables` with its index levels back as columns."""
    return None if table is None else table.reset_index()


class Run:
    """The files of one run folder, as flat tables (one column per index level), read by
    :func:`load_tables`: the one reader of the run-folder format."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise RunError(f"{self.folder}: not a folder")
        try:
            tables = load_tables(self.folder)
        except RunFolderError as exc:
            raise RunError(str(exc)) from None
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise RunError(f"{self.folder}: cannot read: {exc}") from None
        if tables["instance"] is None:
            raise RunError(f"{self.folder}: no instance.json (not a run folder written by allocate solve --out)")
        self.summary = tables["summary"]
        self.instance = tables["instance"]
        self.has_plan = tables["allocation"] is not None
        self.retrofits = tables["retrofits"]
        self.allocation = _flat(tables["allocation"])
        self.finance = _flat(tables["finance"])
        scen = _flat(tables["scenarios"])
        self.probability = scen.set_index("scenario")["probability"].to_dict() if scen is not None and "probability" in scen else None

    @property
    def name(self) -> str:
        return str(self.folder)

    def weights(self, scenarios: pd.Series) -> pd.Series:
        """Probability of each row's scenario (equal weights when unknown)."""
        if self.probability:
            return scenarios.map(self.probability).fillna(0.0)
        n = max(scenarios.nunique(), 1)
        return pd.Series(1.0 / n, index=scenarios.index)


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the HTML report (``optimizer.reports.html``) of ``run_dir`` to ``out`` (default ``RUN_DIR/report.html``); the path."""
    from optimizer.reports.html import write_html

    path = Path(out) if out is not None else Path(run_dir) / "report.html"
    return write_html(load_tables(run_dir), path)
