"""Hand a Pyomo model to HiGHS as matrices, run it, read the solution back.

Why not pyomo's persistent HiGHS interface (``pyomo.contrib.solver`` ``highs``)?
It builds its HiGHS model row by row and keeps, for every constraint, variable and
mutable parameter, the maps it needs to *update* the model later. A solve that never
updates its model pays for none of that here: at 50 sites x 40 periods x 10 scenarios
the persistent hand-off cost 2.5x the model build (``benchmarks/overhead.py``).
Instead, pyomo's standard-form compiler (``pyomo.repn.plugins.standard_form``) turns
the model into sparse matrices in one pass and ``highspy.Highs.passModel`` takes them
whole, about 3.5x faster, and nothing but the column and row lists is kept.

HiGHS receives the model the persistent interface would have built, so that a solve
takes the same path and gives the same plan as through it:

- columns in the same order: variables in order of first appearance in the active
  constraints, then in the objective (the compiler groups them by component);
- one row per constraint, in declaration order, with both bounds (the compiler's
  mixed form splits a ranged constraint into two rows);
- fixed variables stay columns with equal bounds and no entries; their terms move
  into the row bounds and the objective offset (the compiler would drop them);
- objective coefficients computed as the persistent interface computes them (the
  compiler's may differ in the last bit, which can change HiGHS's path).

:class:`DirectHighs` is one solve's handle: ``solve`` compiles, passes, runs and
returns a :class:`RunReport`; ``load_vars`` writes the column values into the
model's variables; ``row_duals`` / ``row_slacks`` map an LP's row results to the
constraints. ``_solver_model`` is the ``highspy.Highs`` object (None until the model
is passed): Ctrl-C handling (``optimizer.backend.interrupt``) cancels it, and callers may
subscribe HiGHS callbacks to it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

@dataclass
class CompiledModel:
    """A model as HiGHS takes it: matrix (rows x columns, CSC), bounds, costs.

    ``columns`` and ``rows`` are the pyomo variables and constraints behind each
    column and row, in HiGHS's order.
    """

    columns: list
    rows: list
    matrix: Any  # scipy.sparse.csc_array
    cost: np.ndarray
    offset: float
    maximize: bool
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray  # bool per column
    row_lower: np.ndarray
    row_upper: np.ndarray


@dataclass
class RunReport:
    """What a HiGHS run ended with (objective and bound in model units)."""

    model_status: str  # HighsModelStatus name, e.g. "kOptimal"
    has_solution: bool
    objective: float | None
    bound: float | None
    log: str
    rows: int
    columns: int
    nonzeros: int


# ---------------------------------------------------------------------------
# compiling
# ---------------------------------------------------------------------------


def _recording_compiler(n_objectives: int):
    """Pyomo's standard-form compiler, recording the order in which the walked
    expressions (objectives first, then constraints) name their variables."""
    from pyomo.repn.linear import LinearRepnVisitor
    from pyomo.repn.plugins.standard_form import _LinearStandardFormCompiler_impl

    class RecordingVisitor(LinearRepnVisitor):
        def walk_expression(self, expr):
            repn = super().walk_expression(expr)
            sink = self.objective_order if self.objectives_left > 0 else self.constraint_order
            self.objectives_left -= 1
            sink.update(dict.fromkeys(repn.linear))  # new ids appended, seen ones stay put
            return repn

    class RecordingCompiler(_LinearStandardFormCompiler_impl):
        # the compiler's documented hook for its expression visitor
        def _get_visitor(self, *args, **kwargs):
            visitor = RecordingVisitor(*args, **kwargs)
            visitor.objective_order, visitor.constraint_order = {}, {}
            visitor.objectives_left = n_objectives
            self.visitor = visitor
            return visitor

    return RecordingCompiler


def _objective_terms(objective) -> tuple[dict[int, float], float]:
    """{id(var): coefficient} and constant of the objective, computed as the
    persistent interface does (``generate_standard_repn``, then ``value``)."""
    from pyomo.core.expr.numvalue import value
    from pyomo.repn import generate_standard_repn

    repn = generate_standard_repn(objective.expr, quadratic=True, compute_values=False)
    if repn.nonlinear_expr is not None or repn.quadratic_vars:
        raise ValueError(f"objective {objective.name} is not linear: HiGHS is given linear models only")
    coefs: dict[int, float] = {}
    for coef, var in zip(repn.linear_coefs, repn.linear_vars):
        coefs[id(var)] = value(coef)
    return coefs, value(repn.constant)


def _merge_ranged_rows(rows: list, rhs: np.ndarray, matrix) -> tuple[list, np.ndarray, np.ndarray, Any]:
    """One row per constraint with both bounds, from the compiler's mixed form
    (bound type 0: equality, 1: ``<= rhs``, -1: ``>= rhs``; a ranged constraint
    comes as a 1-row followed by a -1-row with the same coefficients)."""
    n = len(rows)
    kind = np.fromiter((r.bound_type for r in rows), dtype=np.int8, count=n)
    lower = np.full(n, -np.inf)
    upper = np.full(n, np.inf)
    lower[kind <= 0] = rhs[kind <= 0]
    upper[kind >= 0] = rhs[kind >= 0]
    second = np.zeros(n, dtype=bool)
    if n > 1:
        candidates = np.flatnonzero((kind[1:] == -1) & (kind[:-1] == 1)) + 1
        for i in candidates:  # few: only ranged constraints
            if rows[i].constraint is rows[i - 1].constraint:
                second[i] = True
                lower[i - 1] = lower[i]
    if not second.any():
        return [r.constraint for r in rows], lower, upper, matrix
    keep = ~second
    return [r.constraint for r, k in zip(rows, keep) if k], lower[keep], upper[keep], matrix[keep, :]


def _bounds_and_types(columns: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column bounds (domain and variable bounds) and integrality, as the persistent
    interface reads them."""
    n = len(columns)
    lower, upper = np.empty(n), np.empty(n)
    integer = np.zeros(n, dtype=bool)
    steps: dict[int, int] = {}  # domains are shared objects: look each up once
    for j, v in enumerate(columns):
        lb, ub = v.bounds
        lower[j] = -np.inf if lb is None else lb
        upper[j] = np.inf if ub is None else ub
        domain = v.domain
        step = steps.get(id(domain))
        if step is None:
            step = steps[id(domain)] = domain.get_interval()[2]
        if step == 1:
            integer[j] = True
        elif step != 0:
            raise ValueError(f"variable {v.name}: unsupported domain {domain} (HiGHS takes reals and integers)")
    return lower, upper, integer


def compile_model(model) -> CompiledModel:
    """The model's matrices in the persistent interface's layout (see the module doc)."""
    import scipy.sparse
    from pyomo.common.enums import ObjectiveSense
    from pyomo.core.base import Constraint, Objective, Var

    objectives = list(model.component_data_objects(Objective, active=True, descend_into=True))
    if len(objectives) > 1:
        raise ValueError("the model has more than one active objective")
    constraints = list(model.component_data_objects(Constraint, active=True, descend_into=True))
    # fixed variables take part as columns while compiling, so that their place in
    # the column order is known; their terms are moved out below
    fixed = [v for v in model.component_data_objects(Var, descend_into=True) if v.fixed]
    for v in fixed:
        v.unfix()
    try:
        info, visitor = _compile(model, len(objectives), constraints)
    finally:
        for v in fixed:
            v.fix()

    # columns: the persistent interface's order (constraints first, then objective)
    order = visitor.constraint_order
    order.update(visitor.objective_order)
    position = {id(v): j for j, v in enumerate(info.columns)}
    perm = [position.pop(k) for k in order if k in position]
    perm.extend(position.values())  # none expected: every column was walked
    perm = np.asarray(perm, dtype=np.int64)
    columns = [info.columns[j] for j in perm]
    matrix = scipy.sparse.csc_array(info.A)[:, perm]
    rows, row_lower, row_upper, matrix = _merge_ranged_rows(info.rows, np.asarray(info.rhs, dtype=float), matrix)
    del info, visitor, order, position
    if len(rows) < len(constraints):
        rows, row_lower, row_upper, matrix = _add_empty_rows(constraints, rows, row_lower, row_upper, matrix)
    del constraints

    cost = np.zeros(len(columns))
    offset = 0.0
    maximize = False
    if objectives:
        coefs, offset = _objective_terms(objectives[0])
        index = {id(v): j for j, v in enumerate(columns)}
        for vid, c in coefs.items():
            j = index.get(vid)
            if j is not None:  # else a zero coefficient the compiler left out
                cost[j] = c
        maximize = objectives[0].sense == ObjectiveSense.maximize

    col_lower, col_upper, integer = _bounds_and_types(columns)
    if fixed:
        fixed_ids = {id(v) for v in fixed}
        is_fixed = np.fromiter((id(v) in fixed_ids for v in columns), dtype=bool, count=len(columns))
        if is_fixed.any():
            values = np.array([float(v.value) for v, f in zip(columns, is_fixed) if f])
            moved = matrix[:, is_fixed] @ values
            row_lower = row_lower - moved
            row_upper = row_upper - moved
            # the persistent interface keeps them as empty columns at their value;
            # their objective terms are in ``offset`` already (repn constant)
            cost[is_fixed] = 0.0
            col_lower[is_fixed] = values
            col_upper[is_fixed] = values
            matrix = _drop_columns_entries(matrix, is_fixed)
    return CompiledModel(
        columns=columns, rows=rows, matrix=matrix, cost=cost, offset=float(offset), maximize=maximize,
        col_lower=col_lower, col_upper=col_upper, integer=integer, row_lower=row_lower, row_upper=row_upper,
    )


def _compile(model, n_objectives: int, constraints: list):
    """The compiler's output and its recording visitor. A constraint whose body is
    a constant that violates its bounds stops the compiler; such constraints are
    left out here and come back as empty rows (``_add_empty_rows``), so that HiGHS
    reports the model infeasible, as it did through the persistent interface."""
    from pyomo.common.errors import InfeasibleConstraintException
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    config = LinearStandardFormCompiler().config(dict(mixed_form=True, set_sense=None))
    compiler = _recording_compiler(n_objectives)(config)
    try:
        return compiler.write(model), compiler.visitor
    except InfeasibleConstraintException:
        pass
    constant = [c for c in constraints if _is_constant(c)]
    for c in constant:
        c.deactivate()
    try:
        compiler = _recording_compiler(n_objectives)(config)
        return compiler.write(model), compiler.visitor
    finally:
        for c in constant:
            c.activate()


def _is_constant(constraint) -> bool:
    """True when the constraint's body has no variable with a non-zero coefficient."""
    from pyomo.core.expr.numvalue import value
    from pyomo.repn import generate_standard_repn

    repn = generate_standard_repn(constraint.body, compute_values=False)
    return repn.nonlinear_expr is None and all(value(c) == 0 for c in repn.linear_coefs)


def _add_empty_rows(constraints: list, rows: list, lower: np.ndarray, upper: np.ndarray, matrix):
    """Every active constraint as a row, in declaration order: the compiler leaves
    out those whose body is a constant (every coefficient zero, e.g. a capex line
    whose terms cancel); the persistent interface kept them as empty rows with the
    constant moved into the bounds, and so does this."""
    import scipy.sparse
    from pyomo.core.expr.numvalue import value
    from pyomo.repn import generate_standard_repn

    place = {id(c): i for i, c in enumerate(constraints)}
    row_map = np.fromiter((place[id(c)] for c in rows), dtype=np.int64, count=len(rows))
    n = len(constraints)
    new_lower, new_upper = np.full(n, -np.inf), np.full(n, np.inf)
    new_lower[row_map], new_upper[row_map] = lower, upper
    present = np.zeros(n, dtype=bool)
    present[row_map] = True
    for i in np.flatnonzero(~present):
        con = constraints[i]
        constant = generate_standard_repn(con.body, compute_values=False).constant
        if con.has_lb():
            new_lower[i] = value(con.lower - constant)
        if con.has_ub():
            new_upper[i] = value(con.upper - constant)
    matrix = scipy.sparse.csc_array(matrix)
    # rows keep their relative order, so each column's row indices stay sorted
    matrix = scipy.sparse.csc_array((matrix.data, row_map[matrix.indices].astype(np.int32), matrix.indptr), shape=(n, matrix.shape[1]))
    return list(constraints), new_lower, new_upper, matrix


def _drop_columns_entries(matrix, mask: np.ndarray):
    """The CSC matrix with every entry of the masked columns removed (columns kept)."""
    import scipy.sparse

    matrix = scipy.sparse.csc_array(matrix)
    counts = np.diff(matrix.indptr)
    keep = np.repeat(~mask, counts)
    counts = np.where(mask, 0, counts)
    indptr = np.concatenate(([0], np.cumsum(counts)))
    return scipy.sparse.csc_array((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------


def status_name(highs) -> str:
    """HiGHS's model status as its bare name, e.g. ``"kOptimal"``."""
    return str(highs.getModelStatus()).replace("HighsModelStatus.", "")


def run_report(highs, has_solution: bool, objective: float | None, bound: float | None, log: str) -> RunReport:
    """A :class:`RunReport` of a finished run of ``highs`` (status and size read from it)."""
    return RunReport(
        model_status=status_name(highs), has_solution=has_solution, objective=objective, bound=bound,
        log=log, rows=int(highs.getNumRow()), columns=int(highs.getNumCol()), nonzeros=int(highs.getNumNz()),
    )


class _LogTee:
    """HiGHS's log lines, kept (for warnings) and copied to the given streams."""

    def __init__(self, streams: Iterable):
        self.kept = io.StringIO()
        self.streams = list(streams)

    def write(self, text: str) -> None:
        self.kept.write(text)
        for stream in self.streams:
            stream.write(text)

    def __call__(self, event) -> None:  # a HiGHS logging callback
        self.write(event.message)


def _new_highs(log: _LogTee):
    """A ``highspy.Highs`` whose log goes to ``log`` only (not to the console)."""
    import highspy
    from pyomo.common.tee import capture_output

    # HiGHS prints its banner on the process's standard output when the first
    # Highs object is made: catch it and treat it as log
    banner = io.StringIO()
    with capture_output(banner, capture_fd=True):
        highs = highspy.Highs()
    if banner.getvalue():
        log.write(banner.getvalue())
    highs.setOptionValue("log_to_console", False)
    highs.cbLogging += log
    return highs


def pass_model(highs, compiled: CompiledModel) -> None:
    """Hand the compiled model to ``highs`` in one ``passModel`` call."""
    import highspy

    m = compiled.matrix
    n_rows, n_cols = m.shape
    real = np.float64  # HiGHS's infinity is IEEE infinity: bounds pass as they are
    status = highs.passModel(
        int(n_cols), int(n_rows), int(m.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMaximize if compiled.maximize else highspy.ObjSense.kMinimize),
        float(compiled.offset),
        np.ascontiguousarray(compiled.cost, dtype=real),
        np.ascontiguousarray(compiled.col_lower, dtype=real),
        np.ascontiguousarray(compiled.col_upper, dtype=real),
        np.ascontiguousarray(compiled.row_lower, dtype=real),
        np.ascontiguousarray(compiled.row_upper, dtype=real),
        np.ascontiguousarray(m.indptr, dtype=np.int32),
        np.ascontiguousarray(m.indices, dtype=np.int32),
        np.ascontiguousarray(m.data, dtype=real),
        compiled.integer.astype(np.int32),
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused the model (passModel returned kError)")


class DirectHighs:
    """One HiGHS solve of a pyomo model through matrices (see the module doc)."""

    def __init__(self) -> None:
        self._solver_model = None  # the highspy.Highs, once the model is passed
        self.columns: list = []
        self.rows: list = []
        self._solution = None
        self._log = _LogTee(())

    def solve(
        self,
        model,
        time_limit: float | None = None,
        mip_gap: float | None = None,
        threads: int | None = None,
        options: dict[str, Any] | None = None,
        tee: Iterable = (),
    ) -> RunReport:
        """Hand ``model`` to HiGHS (``load``) and run it (``run``)."""
        self.load(model, tee)
        return self.run(time_limit, mip_gap, threads, options)

    def load(self, model, tee: Iterable = ()) -> None:
        """Compile ``model`` and pass it to a new HiGHS; ``tee`` streams receive
        HiGHS's log as it is written."""
        self._log = _LogTee(tee)
        compiled = compile_model(model)
        self.columns, self.rows = compiled.columns, compiled.rows
        highs = _new_highs(self._log)
        pass_model(highs, compiled)
        del compiled  # HiGHS holds its own copy: free the matrices before the solve
        self._solver_model = highs

    def run(
        self,
        time_limit: float | None = None,
        mip_gap: float | None = None,
        threads: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> RunReport:
        """Set the options (``options``, HiGHS's own names, last) and run HiGHS."""
        highs = self._solver_model
        if threads is not None:
            highs.setOptionValue("threads", int(threads))
        if time_limit is not None:
            highs.setOptionValue("time_limit", float(time_limit))
        if mip_gap is not None:
            highs.setOptionValue("mip_rel_gap", float(mip_gap))
        for key, val in (options or {}).items():
            highs.setOptionValue(key, val)
        # Ctrl-C: HiGHS checks for a cancel request at its interrupt callbacks
        highs.HandleKeyboardInterrupt = True
        highs.run()
        return self._report(self._log)

    def _report(self, log: _LogTee) -> RunReport:
        highs = self._solver_model
        status = status_name(highs)
        info = highs.getInfo()
        has_solution = info.primal_solution_status == 2  # 2: feasible
        self._solution = highs.getSolution() if has_solution else None
        objective = info.objective_function_value if has_solution else None
        if info.mip_node_count == -1:  # an LP: the bound is the optimum, when proven
            bound = objective if has_solution and status == "kOptimal" else None
        else:
            bound = info.mip_dual_bound
        return run_report(highs, has_solution, objective, bound, log.kept.getvalue())

    def column_values(self) -> np.ndarray:
        """The solution's column values (in ``self.columns`` order)."""
        if self._solution is None:
            raise RuntimeError("HiGHS has no solution to read")
        return np.asarray(self._solution.col_value, dtype=float)

    def load_vars(self) -> None:
        """Write the solution into the model's variables."""
        self.load_values(self.column_values())

    def load_values(self, values: np.ndarray) -> None:
        """Write given column values (in ``self.columns`` order) into the model's variables."""
        for v, x in zip(self.columns, np.asarray(values, dtype=float).tolist()):
            v.set_value(x, skip_validation=True)

    @property
    def highs(self):
        """The ``highspy.Highs`` holding the model (None before ``load``)."""
        return self._solver_model

    def cost(self) -> np.ndarray:
        """The objective's column costs, in ``self.columns`` order (model units)."""
        return np.asarray(self._solver_model.getLp().col_cost_, dtype=float)

    def offset(self) -> float:
        """The objective's constant term (model units)."""
        return float(self._solver_model.getLp().offset_)

    def row_duals(self) -> dict:
        """{constraint: dual} of an LP solution (HiGHS's sign convention)."""
        sol = self._solver_model.getSolution()
        if not sol.dual_valid:
            raise RuntimeError("HiGHS has no duals to read")
        return dict(zip(self.rows, np.asarray(sol.row_dual, dtype=float).tolist()))

    def row_slacks(self) -> dict:
        """{constraint: distance of its activity to the nearer bound}."""
        highs = self._solver_model
        activity = np.asarray(highs.getSolution().row_value, dtype=float)
        lp = highs.getLp()
        lower, upper = np.asarray(lp.row_lower_, dtype=float), np.asarray(lp.row_upper_, dtype=float)
        with np.errstate(invalid="ignore"):
            slack = np.minimum(np.abs(activity - lower), np.abs(upper - activity))
        return dict(zip(self.rows, slack.tolist()))
