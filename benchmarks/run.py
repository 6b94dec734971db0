"""Scaling benchmark of the whole solve pipeline against a HiGHS-only floor.

    python benchmarks/run.py                       # sizes 12,40,1 50,40,10 200,60,20
    python benchmarks/run.py --sizes 12,40,1 25,40,4 --time-limit 30
    python benchmarks/run.py --quick               # two small sizes, 10 s limit
    python benchmarks/run.py --sizes default 12,40,1 --threads 1   # the embedded default instance too

Per size (S sites, T quarters, W scenarios from ``benchmarks/generate.py``; the size
``default`` is ``instances/data/default.json`` itself), a fresh
subprocess runs the pipeline stage by stage, timing each one:

- import: ``pyomo.environ`` + the project packages (interpreter start excluded);
- load: ``instances.instance_from_dict`` on the generated dict;
- build: ``models.prepare`` + ``models.build_model``;
- hand-off: ``optimizer.backend.highs_direct.DirectHighs.load`` (pyomo's standard-form
  compiler + ``highspy.passModel``: what ``optimizer.solve`` pays before HiGHS runs);
- solve: ``DirectHighs.run`` (HiGHS's ``run()`` plus reading its status and info);
- extraction: loading the values into the pyomo variables + ``optimizer``'s tables;
- writing: ``optimizer.runs.folder.write_result`` (the CSV/JSON files of ``allocate solve --out``);
- memory: peak resident set (VmHWM) after each stage and ``ru_maxrss`` at the end.

The model HiGHS received is written to MPS (``Highs.writeModel`` after the hand-off,
not timed), and a second fresh subprocess, the floor, does what any caller must do
at least: import ``highspy``, read the MPS, run HiGHS with the same options, take
the column values and write the solution file. The pipeline's overhead (build +
hand-off + extraction) is compared with the floor's (read + getSolution).

Results go to ``benchmarks/results/run-<stamp>.json`` and a Markdown table to
stdout and ``benchmarks/results/latest.md``; ``--plot`` redraws ``scaling.png``.
This file imports nothing heavy at module level so the child's import time is real.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_T_START = time.perf_counter()
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SIZES = [(12, 40, 1), (50, 40, 10), (200, 60, 20)]
#: the size token ``default``: the embedded default instance instead of a generated one
DEFAULT_INSTANCE = (0, 0, 0)
DEFAULT_JSON = ROOT / "instances" / "data" / "default.json"
QUICK_SIZES = [(12, 40, 1), (25, 40, 4)]


# ---------------------------------------------------------------------------
# helpers used in the children
# ---------------------------------------------------------------------------


def _mem_mb() -> dict[str, float]:
    """Current and peak resident set of this process, MB (Linux /proc)."""
    out = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, val = line.split(":")
                out[key] = int(val.split()[0]) / 1024.0
    except OSError:
        pass
    return {"rss_mb": round(out.get("VmRSS", float("nan")), 1), "hwm_mb": round(out.get("VmHWM", float("nan")), 1)}


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _Clock:
    """Wall and CPU seconds of a stage: ``with clock("build"): ...``."""

    def __init__(self, wall: dict, cpu: dict):
        self.wall, self.cpu, self.name = wall, cpu, None

    def __call__(self, name: str) -> "_Clock":
        self.name = name
        return self

    def __enter__(self):
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall[self.name] = time.perf_counter() - self._w
        self.cpu[self.name] = time.process_time() - self._c
        return False


def _emit(payload: dict, final: bool = True) -> None:
    """One JSON line on stdout; partial ones after each stage survive a timeout."""
    sys.stdout.write(("RESULT " if final else "PARTIAL ") + json.dumps(payload) + "\n")
    sys.stdout.flush()


def _highs_info(highs) -> dict:
    info = highs.getInfo()
    return {
        "model_status": str(highs.getModelStatus()).replace("HighsModelStatus.", ""),
        "objective": info.objective_function_value,
        "bound": info.mip_dual_bound,
        "gap": info.mip_gap,
        "nodes": int(info.mip_node_count),
        "lp_iterations": int(info.simplex_iteration_count),
        "highs_run_time": highs.getRunTime(),
    }


def child_pipeline(size: tuple[int, int, int], args) -> None:
    """The solve pipeline of ``optimizer.solve`` + ``allocate solve --out``, stage by stage."""
    S, T, W = size
    res: dict = {"size": list(size), "stages": {}, "cpu": {}, "memory": {}, "loadavg_start": os.getloadavg()}
    st, mem = res["stages"], res["memory"]
    clock = _Clock(st, res["cpu"])
    mem["start"] = _mem_mb()
    with clock("import"):
        import pyomo.environ  # noqa: F401

        import instances
        import models
        import optimizer  # noqa: F401
        from optimizer.runs.folder import write_result
        from optimizer.solve import Result, relative_gap, fill_tables, new_highs
        from optimizer.backend.status import classify

        # what the hand-off imports on first use (optimizer.backend.highs_direct): counted
        # as import, as the persistent interface's imports were
        import highspy  # noqa: F401
        import scipy.sparse  # noqa: F401
        from pyomo.repn.plugins import standard_form  # noqa: F401
    res["import_since_interpreter"] = time.perf_counter() - _T_START
    mem["import"] = _mem_mb()

    sys.path.insert(0, str(HERE))
    from generate import generate

    with clock("generate"):
        if size == DEFAULT_INSTANCE:
            raw = json.loads(DEFAULT_JSON.read_text())
        else:
            raw = generate(S, T, W, args.seed)
    with clock("load"):
        inst = instances.instance_from_dict(raw)
    if size == DEFAULT_INSTANCE:
        res["label"] = "default"
        res["size"] = [len(inst.site_names), len(inst.period_labels), len(inst.scenario_names)]
    mem["load"] = _mem_mb()
    with clock("prepare"):
        data = models.prepare(inst)
    with clock("build_model"):
        model = models.build_model(data)
    st["build"] = st["prepare"] + st["build_model"]
    res["cpu"]["build"] = res["cpu"]["prepare"] + res["cpu"]["build_model"]
    mem["build"] = _mem_mb()
    _emit(res, final=False)

    opt = new_highs()
    with clock("handoff"):
        opt.load(model)
    mem["handoff"] = _mem_mb()
    _emit(res, final=False)
    highs = opt._solver_model
    res["model"] = {
        "rows": int(highs.getNumRow()),
        "columns": int(highs.getNumCol()),
        "nonzeros": int(highs.getNumNz()),
        "integers": int(sum(1 for _ in model.start_index)),
    }
    if args.mps:
        t = time.perf_counter()
        highs.writeModel(args.mps)
        res["write_mps_s"] = time.perf_counter() - t

    with clock("solve_call"):
        report = opt.run(time_limit=args.time_limit, mip_gap=args.mip_gap, threads=args.threads, options=json.loads(args.highs_options))
    st["solve"] = highs.getRunTime()
    res["cpu"]["solve"] = res["cpu"]["solve_call"]
    mem["solve"] = _mem_mb()
    res["highs"] = _highs_info(highs)
    _emit(res, final=False)

    status, reason = classify(report.model_status, report.has_solution)
    res["status"] = status.value
    if not status.has_plan and status.value == "no_solution":
        # no incumbent within the limit: fix every start to 0 and solve the LP that is
        # left, only so that extraction and writing can still be timed on a plan
        from optimizer import fix_starts

        fix_starts(model, {})
        opt = new_highs()
        with clock("fallback_solve"):
            report = opt.solve(model, options=json.loads(args.highs_options))
        status, reason = classify(report.model_status, report.has_solution)
        res["fallback"] = f"no plan in the time limit; extraction/writing timed on the starts=0 plan ({status.value})"
    if status.has_plan:
        with clock("load_vars"):
            opt.load_vars()
        result = Result(instance=inst, status=status, reason=reason, model=model)
        result.model_size = res["model"]
        result.objective_usd = report.objective * models.MONEY_SCALE
        bound = report.bound
        result.bound_usd = bound * models.MONEY_SCALE if bound is not None else result.objective_usd
        result.mip_gap = relative_gap(result.objective_usd, result.bound_usd)
        result.timings = {"solve": st["solve"]}
        with clock("tables"):
            fill_tables(result)
        st["extract"] = st["load_vars"] + st["tables"]
        res["cpu"]["extract"] = res["cpu"]["load_vars"] + res["cpu"]["tables"]
        mem["extract"] = _mem_mb()
        _emit(res, final=False)
        out = Path(tempfile.mkdtemp(prefix="allocate-bench-out-"))
        per_file: dict[str, float] = {}
        import optimizer.runs.folder as run_folder

        real_write_run = run_folder.write_run

        def timed_write_run(out_dir, writers, *a, **k):
            def wrap(name, fn):
                def run(path):
                    t = time.perf_counter()
                    try:
                        return fn(path)
                    finally:
                        per_file[name] = time.perf_counter() - t
                return run
            return real_write_run(out_dir, {n: wrap(n, f) for n, f in writers.items()}, *a, **k)

        run_folder.write_run = timed_write_run
        with clock("write"):
            write_result(result, str(out / "run"), force=True)
        run_folder.write_run = real_write_run
        res["write_files"] = per_file
        res["written_mb"] = round(sum(p.stat().st_size for p in (out / "run").rglob("*") if p.is_file()) / 2**20, 2)
        shutil.rmtree(out, ignore_errors=True)
        mem["write"] = _mem_mb()
        res["objective_usd"] = result.objective_usd
    res["peak_mb"] = _maxrss_mb()
    res["loadavg_end"] = os.getloadavg()
    _emit(res)


def child_floor(args) -> None:
    """Floor: highspy alone reads the MPS, solves it and hands back the column values."""
    res: dict = {"stages": {}, "cpu": {}, "loadavg_start": os.getloadavg()}
    clock = _Clock(res["stages"], res["cpu"])
    with clock("import"):
        import highspy
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    with clock("read"):
        status = h.readModel(args.mps)
    res["read_status"] = str(status)
    for key, value in json.loads(args.highs_options).items():
        h.setOptionValue(key, value)
    h.setOptionValue("mip_rel_gap", args.mip_gap)
    if args.time_limit is not None:
        h.setOptionValue("time_limit", float(args.time_limit))
    if args.threads is not None:
        h.setOptionValue("threads", int(args.threads))
    with clock("solve"):
        h.run()
    res["highs"] = _highs_info(h)
    with clock("extract"):
        values = list(h.getSolution().col_value)
    res["n_values"] = len(values)
    out = Path(tempfile.mkdtemp(prefix="allocate-bench-floor-"))
    with clock("write"):
        h.writeSolution(str(out / "solution.sol"), 0)
    shutil.rmtree(out, ignore_errors=True)
    res["peak_mb"] = _maxrss_mb()
    res["loadavg_end"] = os.getloadavg()
    _emit(res)


# ---------------------------------------------------------------------------
# parent
# ---------------------------------------------------------------------------


def _parse_size(text: str) -> tuple[int, int, int]:
    if text == "default":
        return DEFAULT_INSTANCE
    parts = [int(x) for x in text.split(",")]
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"size must be S,T,W, got {text!r}")
    return tuple(parts)  # type: ignore[return-value]


def _run_child(argv: list[str], timeout: float) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    t = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), *argv],
            capture_output=True, text=True, timeout=timeout, env=env, cwd=str(ROOT),
        )
    except subprocess.TimeoutExpired as exc:
        text = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        partial = [json.loads(line[len("PARTIAL "):]) for line in text.splitlines() if line.startswith("PARTIAL ")]
        out = partial[-1] if partial else {"error": "no stage finished"}
        out["timeout"] = f"killed after {timeout:.0f} s; stages after the last one listed did not finish"
        out["process_s"] = time.perf_counter() - t
        return out
    wall = time.perf_counter() - t
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[len("RESULT "):])
            out["process_s"] = wall
            return out
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-8:]
    return {"error": f"exit {proc.returncode}: " + " | ".join(tail), "process_s": wall}


def machine_info() -> dict:
    info = {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    from importlib import metadata

    for pkg in ("pyomo", "highspy", "pandas", "numpy"):
        try:
            info[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            info[pkg] = None
    info["highs"] = info.get("highspy")
    info["loadavg"] = os.getloadavg()
    return info


def _f(x, nd=2) -> str:
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.{nd}f}"


def overhead(p: dict) -> float | None:
    s = p.get("stages", {})
    if "extract" not in s:
        return None
    return s["build"] + s["handoff"] + s["extract"]


def floor_overhead(f: dict) -> float | None:
    s = f.get("stages", {})
    if "read" not in s or "extract" not in s:
        return None
    return s["read"] + s["extract"]


def _label(row: dict) -> str:
    """How a size is named in the tables: ``S,T,W``, or ``default (S,T,W)``."""
    size = ",".join(map(str, row["size"]))
    return f"{row['label']} ({size})" if row.get("label") else size


def markdown(rows: list[dict], args, info: dict) -> str:
    lines = [
        f"Seed {args.seed}, HiGHS time limit {args.time_limit} s, mip_rel_gap {args.mip_gap}, "
        f"threads {args.threads or 'HiGHS default'}, options {getattr(args, 'highs_options', '-')}; {info.get('cpu', '?')}, {info.get('nproc')} cores, "
        f"Python {info.get('python')}, Pyomo {info.get('pyomo')}, HiGHS {info.get('highs')}.",
        "",
        "Seconds unless stated; **pipeline (floor)** where the floor has a counterpart: floor hand-off = "
        "`readModel` of the MPS, floor extraction = `getSolution`, floor writing = `writeSolution`, "
        "floor import = `import highspy`.",
        "",
        "| S,T,W | S·T·W | rows | columns | nonzeros | integers | import | load | build | hand-off | "
        "solve (status, gap, nodes) | extraction | writing | overhead = build+hand-off+extraction | peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        p, f = r["pipeline"], r.get("floor", {})
        S, T, W = r["size"]
        name = _label(r)
        if "error" in p or "model" not in p:
            why = p.get("error") or p.get("timeout") or "?"
            done = ", ".join(f"{k} {_f(v)} s" for k, v in p.get("stages", {}).items())
            lines.append(f"| {name} | {S*T*W:,} | pipeline did not finish: {why[:200]}; finished: {done or 'nothing'} |" + " |" * 12)
            continue
        ps, fs = p["stages"], f.get("stages", {})
        m = p["model"]
        ph, fh = p.get("highs", {}), f.get("highs", {})

        def pair(a, b):
            return f"{_f(a)} ({_f(b)})" if b is not None else _f(a)

        def solve_cell(st, h):
            if not h:
                return "-"
            gap = h.get("gap")
            gtxt = "-" if gap is None or gap > 1e30 else f"{gap:.1e}"
            return f"{_f(st.get('solve'))} s, {h.get('model_status','?').lstrip('k')}, gap {gtxt}, {h.get('nodes')} nodes"

        floor_solve = solve_cell(fs, fh) if fh else (f.get("error", "-")[:80] if f else "-")
        po, fo = overhead(p), floor_overhead(f)
        ratio = f" = {po / fo:.0f}x" if po and fo else ""
        lines.append(
            "| {name} | {stw:,} | {rows:,} | {cols:,} | {nnz:,} | {ints:,} | {imp} | {load} | {build} | {hand} | "
            "{solve} ({fsolve}) | {ext} | {wr} | {ov}{ratio} | {mem} |".format(
                name=name, stw=S * T * W, rows=m["rows"], cols=m["columns"], nnz=m["nonzeros"], ints=m["integers"],
                imp=pair(ps.get("import"), fs.get("import")),
                load=_f(ps.get("load")),
                build=_f(ps.get("build")),
                hand=pair(ps.get("handoff"), fs.get("read")),
                solve=solve_cell(ps, ph), fsolve=floor_solve,
                ext=pair(ps.get("extract"), fs.get("extract")),
                wr=pair(ps.get("write"), fs.get("write")),
                ov=pair(po, fo), ratio=ratio,
                mem=pair(p.get("peak_mb"), f.get("peak_mb")),
            )
        )
    notes: list[str] = []
    lines.append("")
    lines.append("Stage detail (pipeline): prepare / build_model, load_vars / tables, CPU seconds of the main stages "
                 "(wall seconds above include any waiting for a core), peak MB after each stage, "
                 "slowest files written, whole child process seconds, load average at the child's start.")
    lines.append("")
    lines.append("| S,T,W | prepare | build_model | load_vars | tables | CPU s: load / build / hand-off / solve / extract / write (floor: read / solve) | HWM MB after import / load / build / hand-off / solve / extract / write | overhead CPU s (floor) | slowest files written (s) | process s (floor) | load avg |")
    lines.append("|---|---:|---:|---:|---:|---|---|---|---|---:|---:|")
    for r in rows:
        p, f = r["pipeline"], r.get("floor", {})
        if "error" in p or "model" not in p:
            continue
        s = p["stages"]
        hw = " / ".join(_f(p["memory"].get(k, {}).get("hwm_mb"), 0) for k in ("import", "load", "build", "handoff", "solve", "extract", "write"))
        c, fc = p.get("cpu", {}), f.get("cpu", {})
        cpu = " / ".join(_f(c.get(k)) for k in ("load", "build", "handoff", "solve", "extract", "write"))
        cpu += f" ({_f(fc.get('read'))} / {_f(fc.get('solve'))})" if fc else ""
        oc = sum(c.get(k, 0.0) for k in ("build", "handoff", "extract")) if "extract" in c else None
        ofc = (fc.get("read", 0.0) + fc.get("extract", 0.0)) if fc.get("extract") is not None else None
        octxt = f"{_f(oc)} ({_f(ofc)})" + (f" = {oc / ofc:.0f}x" if oc and ofc else "")
        files = sorted(p.get("write_files", {}).items(), key=lambda kv: -kv[1])[:3]
        ftxt = ", ".join(f"{n} {_f(v)}" for n, v in files) or "-"
        la = p.get("loadavg_start")
        latxt = f"{la[0]:.1f}" if la else "-"
        lines.append(
            f"| {_label(r)} | {_f(s.get('prepare'))} | {_f(s.get('build_model'))} | {_f(s.get('load_vars'))} | "
            f"{_f(s.get('tables'))} | {cpu} | {hw} | {octxt} | {ftxt} | {_f(p.get('process_s'))} ({_f(f.get('process_s'))}) | "
            f"{latxt} |"
        )
        if p.get("timeout"):
            notes.append(f"({_label(r)}) {p['timeout']}")
        if p.get("fallback"):
            notes.append(f"({_label(r)}) {p['fallback']}")
    if notes:
        lines.append("")
        lines.extend(f"Note: {n}." for n in notes)
    return "\n".join(lines) + "\n"


def plot(results: list[dict], path: Path) -> bool:
    """Seconds against S·T·W: pipeline non-B&B stages, HiGHS solve, and the floor's."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)", file=sys.stderr)
        return False
    ok = [r for r in results if "model" in r["pipeline"]]
    if not ok:
        return False
    ok.sort(key=lambda r: r["size"][0] * r["size"][1] * r["size"][2])
    stages = ("import", "load", "build", "handoff", "extract", "write")
    full = [r for r in ok if all(k in r["pipeline"]["stages"] for k in stages) and "solve" in r["pipeline"]["stages"]]
    part = [r for r in ok if r not in full]

    def stw(r):
        return r["size"][0] * r["size"][1] * r["size"][2]

    def non_bb(r):
        return sum(r["pipeline"]["stages"].get(k, 0.0) for k in stages)

    fig, axes = plt.subplots(1, 2, figsize=(14, 6), sharex=True)
    for ax, key, unit in ((axes[0], "stages", "wall"), (axes[1], "cpu", "CPU")):
        def val(r, k, which="pipeline"):
            return r[which].get(key, {}).get(k)

        x = [stw(r) for r in full]
        solve = [val(r, "solve") or 0.0 for r in full]
        nb = [sum(val(r, k) or 0.0 for k in stages) for r in full]
        ov = [sum(val(r, k) or 0.0 for k in ("build", "handoff", "extract")) for r in full]
        ax.loglog(x, [a + b for a, b in zip(nb, solve)], "o-", color="black", label="pipeline total = non-B&B + HiGHS")
        ax.loglog(x, nb, "s-", color="tab:red", label="pipeline non-B&B: import+load+build+hand-off+extract+write")
        ax.loglog(x, ov, "d-", color="tab:purple", label="pipeline overhead (issue target): build+hand-off+extract")
        ax.loglog(x, solve, "^--", color="tab:blue", label="HiGHS in the pipeline (120 s wall limit)")
        if part:
            ax.loglog([stw(r) for r in part], [sum(val(r, k) or 0.0 for k in stages) for r in part], "s", mfc="none",
                      color="tab:red", ms=11, label="non-B&B stages finished before the child was stopped (lower bound)")
        fl = [(stw(r), r["floor"].get(key, {})) for r in ok if r.get("floor", {}).get(key, {}).get("read") is not None]
        if fl:
            ax.loglog([a for a, _ in fl], [f["read"] + f.get("extract", 0) for _, f in fl], "d:", color="tab:pink",
                      label="floor overhead: read MPS+getSolution")
            ax.loglog([a for a, f in fl if "solve" in f], [f["solve"] for _, f in fl if "solve" in f], "^:", color="tab:cyan",
                      label="floor HiGHS (same options)")
        for r in ok:
            y = sum(val(r, k) or 0.0 for k in stages) + (val(r, "solve") or 0.0)
            ax.annotate(f"({_label(r)})", (stw(r), y), textcoords="offset points", xytext=(-30, 8), fontsize=8)
        ax.set_xlabel("S x T x W (sites x quarters x scenarios)")
        ax.set_ylabel(f"{unit} seconds (log)")
        ax.set_title(f"{unit} seconds")
        ax.grid(True, which="both", alpha=0.3)
    axes[1].legend(fontsize=7, loc="lower right")
    fig.suptitle("allocate scaling: pipeline vs highspy-only floor (2-core machine; wall and CPU seconds)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def parent(args) -> None:
    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if args.quick and args.time_limit == 120.0:
        args.time_limit = 10.0
    info = machine_info()
    results = []
    tmp = Path(tempfile.mkdtemp(prefix="allocate-bench-"))
    from optimizer.solve import HIGHS_DEFAULTS  # the options of every solve, for both children

    args.highs_options = json.dumps(HIGHS_DEFAULTS)
    common = ["--seed", str(args.seed), "--time-limit", str(args.time_limit), "--mip-gap", str(args.mip_gap),
              "--highs-options", args.highs_options]
    if args.threads:
        common += ["--threads", str(args.threads)]
    try:
        for size in sizes:
            tag = "default" if size == DEFAULT_INSTANCE else ",".join(map(str, size))
            mps = tmp / ("m_" + tag.replace(",", "_") + ".mps")
            print(f"[{tag}] pipeline ...", file=sys.stderr, flush=True)
            p = _run_child(["--child", "pipeline", "--size", tag, "--mps", str(mps), *common], args.child_timeout)
            row = {"size": p.get("size", list(size)), "time_limit": args.time_limit, "pipeline": p}
            if p.get("label"):
                row["label"] = p["label"]
            if "error" in p:
                print(f"[{tag}] pipeline failed: {p['error']}", file=sys.stderr)
            elif "extract" not in p["stages"] or "highs" not in p:
                print(f"[{tag}] pipeline incomplete: {p.get('timeout', '')} stages {sorted(p['stages'])}", file=sys.stderr, flush=True)
            else:
                s = p["stages"]
                print(
                    f"[{tag}] {p['model']} load {s['load']:.2f} build {s['build']:.2f} hand-off {s['handoff']:.2f} "
                    f"solve {s['solve']:.2f} ({p['highs']['model_status']}, gap {p['highs']['gap']:.2e}) "
                    f"extract {s.get('extract', float('nan')):.2f} write {s.get('write', float('nan')):.2f} peak {p['peak_mb']:.0f} MB",
                    file=sys.stderr, flush=True,
                )
            if mps.exists() and not args.no_floor:
                print(f"[{tag}] floor ...", file=sys.stderr, flush=True)
                f = _run_child(["--child", "floor", "--mps", str(mps), *common], args.child_timeout)
                row["floor"] = f
                if "error" not in f:
                    s = f["stages"]
                    print(
                        f"[{tag}] floor read {s['read']:.2f} solve {s['solve']:.2f} ({f['highs']['model_status']}, gap {f['highs']['gap']:.2e}) "
                        f"extract {s['extract']:.3f} peak {f['peak_mb']:.0f} MB",
                        file=sys.stderr, flush=True,
                    )
                mps.unlink()
            results.append(row)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    table = markdown(results, args, info)
    print(table)
    outdir = HERE / "results"
    outdir.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {"machine": info, "args": {k: v for k, v in vars(args).items() if k != "sizes"}, "sizes": [list(s) for s in sizes], "results": results}
    (outdir / f"run-{stamp}.json").write_text(json.dumps(payload, indent=1) + "\n")
    (outdir / "latest.md").write_text(table)
    if args.plot:
        if plot(results, Path(args.plot)):
            print(f"plot: {args.plot}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", type=_parse_size, help="S,T,W triples (sites, quarters, scenarios)")
    ap.add_argument("--quick", action="store_true", help="two small sizes, 10 s HiGHS limit")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=120.0, help="HiGHS time limit per solve, s (default 120)")
    ap.add_argument("--mip-gap", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=None, help="HiGHS threads (default: HiGHS decides, as allocate solve)")
    ap.add_argument("--child-timeout", type=float, default=1800.0, help="kill a size's subprocess after this many s")
    ap.add_argument("--no-floor", action="store_true", help="skip the highspy-only floor")
    ap.add_argument("--plot", nargs="?", const=str(HERE / "scaling.png"), default=None, help="write the scaling PNG (default benchmarks/scaling.png)")
    ap.add_argument("--from-json", nargs="+", help="re-render the table (and --plot) from saved run-*.json files "
                    "(a later file's sizes replace an earlier one's), run nothing")
    ap.add_argument("--write-latest", action="store_true", help="with --from-json: also write results/latest.md")
    ap.add_argument("--child", choices=["pipeline", "floor"], help=argparse.SUPPRESS)
    ap.add_argument("--size", type=_parse_size, help=argparse.SUPPRESS)
    ap.add_argument("--mps", help=argparse.SUPPRESS)
    ap.add_argument("--highs-options", default='{"random_seed": 0}', help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.from_json:
        # later files replace earlier ones size by size: a rerun of one size merges in
        merged: dict[tuple, dict] = {}
        for name in args.from_json:
            saved = json.loads(Path(name).read_text())
            for r in saved["results"]:
                key = (r.get("label"), *r["size"])
                if "floor" not in r and key in merged and "floor" in merged[key]:
                    r = {**r, "floor": merged[key]["floor"], "floor_from": "an earlier run of the same (seeded) model"}
                merged[key] = r
        for k, v in saved["args"].items():
            if k not in ("plot", "from_json", "sizes", "write_latest"):
                setattr(args, k, v)
        rows = sorted(merged.values(), key=lambda r: r["size"][0] * r["size"][1] * r["size"][2])
        table = markdown(rows, args, saved["machine"])
        print(table)
        if args.write_latest:
            (HERE / "results" / "latest.md").write_text(table)
        if args.plot:
            plot(rows, Path(args.plot))
        return
    if args.child == "pipeline":
        child_pipeline(args.size, args)
    elif args.child == "floor":
        child_floor(args)
    else:
        parent(args)


if __name__ == "__main__":
    main()
