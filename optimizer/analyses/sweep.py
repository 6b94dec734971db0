"""Parameter sweeps: solve one instance over a grid of overrides, one row per case.

A sweep varies one or more dotted paths (the paths of ``--set``); every combination
of their values is a case (the cartesian product, first path outermost). Each case
is the base instance with the fixed overrides (prices, ``--set``) and then the
case's values applied, validated and solved. Rows hold the values, the status, the
NPV (the objective), the expected IT MW leased in the last period and the retrofit
schedule in short form (``Rockdale:2x@2027-04;Molde:1x@2028-01``). A case that
cannot be run (an input error, a solver failure) is a row with its reason.

Cases are cut into chunks of consecutive cases (their size depends on the number of
cases only). Each chunk is solved by a fresh :class:`optimizer.rerun.Rerunner`, so
the model is built once per chunk and every later case only updates the numbers
that moved, starting from the previous case's plan. A chunk's results depend on
the chunk alone: the rows are the same whether the chunks run in this process,
in ``jobs`` local processes or on a Dask cluster, and they come out in case order.
Local worker
processes are forked from a fresh server process ("forkserver": a child forked from
the caller could inherit HiGHS's thread pool without its threads), so a script
calling ``run_sweep(jobs=2)`` needs the usual ``if __name__ == "__main__":`` guard.

    cases = grid([parse_vary("markets.hashprice_usd_per_ph_day=40:60:5")])
    rows = run_sweep(raw, cases, options=SolveOptions(), jobs=2)   # a DataFrame
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from instances import InputError, instance_from_dict
from instances.overrides import apply_overrides, set_path
from optimizer.solve import SolveOptions
from optimizer.backend.status import Status

INPUT_ERROR = "input_error"
MIN_CHUNK = 4  # cases per chunk at least (a build is paid once per chunk)
MAX_CHUNKS = 64  # chunks at most (parallelism available)
MAX_CASES = 100_000

# ---- the grid -------------------------------------------------------------------


@dataclass(frozen=True)
class Vary:
    """One ``--vary``: a dotted path and the values it takes, in order."""

    path: str
    values: tuple

    def __post_init__(self):
        if not self.values:
            raise ValueError(f"--vary {self.path}: no values")


def _number(text: str) -> int | float:
    """A number written on the command line: int when written as one."""
    t = text.strip()
    try:
        if t.lstrip("+-").isdigit():
            return int(t)
        v = float(t)
    except ValueError:
        raise ValueError(f'not a number: "{text}"') from None
    if not math.isfinite(v):
        raise ValueError(f'not a finite number: "{text}"')
    return v


def frange(start: int | float, stop: int | float, step: int | float) -> list[int | float]:
    """``start, start+step, ...`` up to and including ``stop``.

    Computed as ``start + i * step`` in decimal arithmetic on the numbers as written,
    so ``0.6:1.5:0.1`` gives exactly 0.6, 0.7, ..., 1.5 (ten values, 1.5 included),
    not 1.4000000000000001 and a missing end. A ``stop`` that the steps do not reach
    exactly ends the range at the last value before it. Integers stay integers.
    """
    if step == 0:
        raise ValueError("step must not be 0")
    if (stop - start) * step < 0:
        raise ValueError(f"step {step} goes away from {stop}")
    try:
        a, b, s = (Decimal(repr(x)) for x in (start, stop, step))
    except InvalidOperation:
        raise ValueError("not a number") from None
    count = int((b - a) / s) + 1  # Decimal division is exact for such inputs
    if count > MAX_CASES:
        raise ValueError(f"{count} values: more than {MAX_CASES}")
    ints = all(isinstance(x, int) for x in (start, stop, step))
    return [int(a + i * s) if ints else float(a + i * s) for i in range(count)]


def parse_value(text: str) -> Any:
    """A value as ``--set`` reads it: JSON, else the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_vary(spec: str) -> Vary:
    """``PATH=START:STOP:STEP`` (numbers, STOP included), ``PATH=*START:STOP:STEP`` (the
    operators ``"*START"``, ..., ``"*STOP"``: the value there scaled by each),
    ``PATH=+START:STOP:STEP`` (shifted by each) or ``PATH=v1,v2,...`` (each value JSON,
    else text, so ``*0.8,*0.9`` are operators too; ``PATH=[v1, v2, ...]`` for values
    holding commas, such as lists). ValueError saying what is wrong."""
    if "=" not in spec:
        raise ValueError(f"--vary {spec}: expected PATH=START:STOP:STEP or PATH=v1,v2,...")
    path, text = (x.strip() for x in spec.split("=", 1))
    if not path:
        raise ValueError(f"--vary {spec}: no path before =")
    if not text:
        raise ValueError(f"--vary {spec}: no values after =")
    if text.startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--vary {path}: invalid JSON list: {exc.msg}") from None
        if not isinstance(values, list) or not values:
            raise ValueError(f"--vary {path}: expected a non-empty JSON list of values")
        return Vary(path, tuple(values))
    if ":" in text and "," not in text and not text.startswith(("{", '"')):
        # "*0.6:1:0.1" scales the value there by 0.6, 0.7, ..., 1; "+-5:5:5" shifts it
        op = text[0] if text[0] in "*+" else ""
        parts = text[len(op):].split(":")
        if len(parts) != 3:
            raise ValueError(f"--vary {path}={text}: a range is START:STOP:STEP, *START:STOP:STEP or +START:STOP:STEP")
        try:
            start, stop, step = (_number(p) for p in parts)
            values = frange(start, stop, step)
        except ValueError as exc:
            raise ValueError(f"--vary {path}={text}: {exc}") from None
        return Vary(path, tuple(f"{op}{v}" for v in values) if op else tuple(values))
    values = [parse_value(v.strip()) for v in text.split(",")]
    if any(v == "" for v in values):
        raise ValueError(f"--vary {path}={text}: an empty value")
    return Vary(path, tuple(values))


@dataclass(frozen=True)
class Case:
    """One point of the grid: its number (from 1) and its ``(path, value)`` pairs."""

    number: int
    values: tuple  # ((path, value), ...)


def grid(varies: Iterable[Vary]) -> list[Case]:
    """Every combination of the values, the first ``Vary`` outermost (``itertools.product``)."""
    varies = list(varies)
    paths = [v.path for v in varies]
    if len(set(paths)) != len(paths):
        dup = next(p for p in paths if paths.count(p) > 1)
        raise ValueError(f"--vary {dup} is given twice")
    total = math.prod(len(v.values) for v in varies)
    if total > MAX_CASES:
        raise ValueError(f"the grid has {total} cases: more than {MAX_CASES}")
    combos = itertools.product(*(v.values for v in varies))
    return [Case(i + 1, tuple(zip(paths, combo))) for i, combo in enumerate(combos)]


def check_paths(raw: dict, paths: Iterable[str]) -> None:
    """InputError (with the closest valid path) for a path the instance cannot set."""
    probe = json.loads(json.dumps(raw))
    for path in paths:
        set_path(probe, path, 0)


# ---- one case's row -------------------------------------------------------------


def schedule_short(model, instance) -> str:
    """The retrofit schedule of a solved model: ``site:Nx@start`` joined by ``;``,
    by start period then site order; ``none`` when no block starts."""
    order = {s: i for i, s in enumerate(instance.site_names)}
    periods = {t: i for i, t in enumerate(instance.period_labels)}
    items = []
    for (s, t), v in model.start.items():
        b = int(round(v.value or 0.0))
        if b > 0:
            items.append((periods[t], order[s], f"{s}:{b}x@{t}"))
    return ";".join(x[2] for x in sorted(items)) or "none"


def ai_mw_end(model, instance) -> float:
    """Expected IT MW leased in the last period (over scenarios)."""
    last = instance.period_labels[-1]
    probs = instance.scenarios["probability"]
    total = 0.0
    for (w, s, t), v in model.ai.items():
        if t == last:
            total += float(probs[w]) * float(v.value or 0.0)
    return 0.0 if abs(total) < 1e-9 else total


def result_row(result) -> dict:
    """Status, NPV, AI MW at the end and the schedule of a solve (tables or not)."""
    row = {"status": result.status.value, "npv_usd": None, "ai_it_mw_end": None, "retrofits": None, "mip_gap": None, "reason": result.reason}
    if result.status.has_plan:
        row["npv_usd"] = result.objective_usd
        row["ai_it_mw_end"] = ai_mw_end(result.model, result.instance)
        row["retrofits"] = schedule_short(result.model, result.instance)
        row["mip_gap"] = result.mip_gap
    return row


# ---- running --------------------------------------------------------------------


@dataclass
class Chunk:
    """What a worker needs to solve some consecutive cases (picklable)."""

    raw: dict
    base_dir: str | None
    fixed: list  # [(path, value)] applied before each case's values
    cases: list[Case]
    options: SolveOptions


def chunk_cases(cases: list[Case], size: int | None = None) -> list[list[Case]]:
    """Consecutive chunks; the size depends on the number of cases only (not on jobs)."""
    n = len(cases)
    size = size or max(MIN_CHUNK, math.ceil(n / MAX_CHUNKS))
    return [cases[i : i + size] for i in range(0, n, size)]


def _error_row(reason: str, status: str = Status.ERROR.value) -> dict:
    return {"status": status, "npv_usd": None, "ai_it_mw_end": None, "retrofits": None, "mip_gap": None, "reason": reason}


def run_chunk(chunk: Chunk, on_case: Callable[[int], None] | None = None) -> list[dict]:
    """Solve the cases of one chunk in order on one :class:`Rerunner`; one row each."""
    from models import prepare
    from optimizer.rerun import MUTABLE_FIELDS, Rerunner, changed_fields

    base_dir = Path(chunk.base_dir) if chunk.base_dir is not None else None
    prepared = []
    for case in chunk.cases:
        try:
            raw = apply_overrides(chunk.raw, list(chunk.fixed) + list(case.values), base_dir=base_dir)
            inst = instance_from_dict(raw, base_dir=base_dir, source=None)
            prepared.append((case, inst, prepare(inst), None))
        except InputError as exc:
            prepared.append((case, None, None, _error_row(str(exc), INPUT_ERROR)))
        except Exception as exc:  # a bug should cost one row, not the sweep
            prepared.append((case, None, None, _error_row(f"{type(exc).__name__}: {exc}")))
    datas = [d for _, _, d, _ in prepared if d is not None]
    moving: set[str] = set()
    for d in datas[1:]:
        moving |= changed_fields(datas[0], d)
    runner = Rerunner(chunk.options, mutable=moving & set(MUTABLE_FIELDS))
    rows = []
    for case, inst, data, row in prepared:
        if row is None:
            try:
                row = result_row(runner.solve(inst, tables=False, data=data))
            except Exception as exc:
                row = _error_row(f"solver failed: {type(exc).__name__}: {exc}")
        rows.append({"case": case.number, **dict(case.values), **row})
        if on_case is not None:
            on_case(1)
    return rows


def _sweep_options(options: SolveOptions | None) -> SolveOptions:
    options = options or SolveOptions()
    # no thread count of our own: HiGHS fixes its thread pool at the first solve of a
    # process and fails a later solve that asks for another size
    return dataclasses.replace(options, log=False, progress=False, sensitivities=False)


def run_sweep(
    raw: dict,
    cases: list[Case],
    base_dir: str | Path | None = None,
    fixed: list | None = None,
    options: SolveOptions | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    on_progress: Callable[[int], None] | None = None,
    chunk_size: int | None = None,
) -> pd.DataFrame:
    """Solve every case; a DataFrame with one row per case, in case order.

    ``raw``: the base instance dict; ``base_dir``: the folder its CSV series are read
    from; ``fixed``: overrides applied to every case before its own values;
    ``jobs``: local processes (1: this process); ``scheduler``: the address of a Dask
    distributed scheduler to run the chunks on instead; ``on_progress(k)``: called as
    k more cases are done.
    """
    options = _sweep_options(options)
    chunks = [
        Chunk(raw, None if base_dir is None else str(base_dir), list(fixed or []), part, options)
        for part in chunk_cases(cases, chunk_size)
    ]
    results: list[list[dict] | None] = [None] * len(chunks)
    tick = on_progress or (lambda k: None)
    if scheduler is not None:
        _run_dask(chunks, results, scheduler, tick)
    elif jobs > 1 and len(chunks) > 1:
        _run_processes(chunks, results, jobs, tick)
    else:
        for i, chunk in enumerate(chunks):
            results[i] = run_chunk(chunk, tick)
    rows = [row for part in results for row in part]
    return rows_frame(rows, [p for p, _ in cases[0].values] if cases else [])


def rows_frame(rows: list[dict], paths: list[str]) -> pd.DataFrame:
    columns = ["case", *paths, "status", "npv_usd", "ai_it_mw_end", "retrofits", "mip_gap", "reason"]
    frame = pd.DataFrame(rows, columns=columns)
    for path in paths:  # a value that is a list or an object is shown as JSON
        frame[path] = frame[path].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
    return frame


def _run_processes(chunks: list[Chunk], results: list, jobs: int, tick) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # workers are forked from a fresh server process that has imported the solver
    # stack once (and never solved): a child forked from this process could inherit
    # HiGHS's thread pool without its threads
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["optimizer.analyses.sweep", "optimizer.rerun"])
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {pool.submit(run_chunk, chunk): i for i, chunk in enumerate(chunks)}
        for future in as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
            except Exception as exc:  # the worker died (out of memory, killed...)
                results[i] = _failed_chunk(chunks[i], f"worker failed: {type(exc).__name__}: {exc}")
            tick(len(chunks[i].cases))


def _run_dask(chunks: list[Chunk], results: list, address: str, tick) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise RuntimeError('--scheduler needs Dask distributed: pip install "allocate[dist]"') from None
    with Client(address, set_as_default=False) as client:
        futures = [client.submit(run_chunk, chunk, pure=False) for chunk in chunks]
        index = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures, loop=client.loop):
            i = index[future.key]
            try:
                results[i] = future.result()
            except Exception as exc:
                results[i] = _failed_chunk(chunks[i], f"worker failed: {type(exc).__name__}: {exc}")
            tick(len(chunks[i].cases))


def _failed_chunk(chunk: Chunk, reason: str) -> list[dict]:
    return [{"case": c.number, **dict(c.values), **_error_row(reason)} for c in chunk.cases]
