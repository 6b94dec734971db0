"""The NPV bridge between two instances: the change of the optimal NPV split by input.

``npv_bridge(raw_a, raw_b, npv_a_usd, npv_b_usd, paths)`` takes the inputs that differ
(dotted paths, as ``optimizer.runs.compare.input_changes`` lists them) and, for each,
solves instance A with that one input set to its value in B:

    effect_p = NPV(A with p from B) - NPV(A)                 USD
    interaction = (NPV(B) - NPV(A)) - sum_p effect_p         USD

so the rows sum to the total change exactly (the interaction is the remainder:
what the inputs do together beyond their separate effects, plus the solver gap of
the solves). An input that cannot be applied alone (a site only in B, a CSV series
whose file is not beside the run) or whose solve finds no plan has no effect
(``None``, with the reason); its part is then in the remainder, labeled so.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from instances import InputError, instance_from_dict
from instances.overrides import get_path, set_path
from optimizer.solve import SolveOptions, solve

MAX_INPUTS = 12  # more changed inputs than this: one solve each is too slow to offer by default


@dataclass
class BridgeStep:
    """One input applied alone to A: its path and its effect on the NPV (USD)."""

    path: str
    effect_usd: float | None
    npv_usd: float | None  # NPV of A with this input from B
    reason: str = ""


@dataclass
class NpvBridge:
    """The change B - A split by input; ``interaction_usd`` is the remainder."""

    npv_a_usd: float
    npv_b_usd: float
    steps: list[BridgeStep] = field(default_factory=list)
    mip_gap: float | None = None

    @property
    def total_usd(self) -> float:
        return self.npv_b_usd - self.npv_a_usd

    @property
    def interaction_usd(self) -> float:
        """total - sum of the effects that were computed: the rows sum to the total."""
        return self.total_usd - sum(s.effect_usd for s in self.steps if s.effect_usd is not None)

    @property
    def complete(self) -> bool:
        """Every input has an effect of its own (else the remainder holds the missing ones)."""
        return all(s.effect_usd is not None for s in self.steps)

    def to_json(self) -> dict:
        return {
            "npv_a_usd": self.npv_a_usd,
            "npv_b_usd": self.npv_b_usd,
            "total_usd": self.total_usd,
            "steps": [dataclasses.asdict(s) for s in self.steps],
            "interaction_usd": self.interaction_usd,
            "complete": self.complete,
            "mip_gap": self.mip_gap,
        }


def with_input(raw_a: dict, raw_b: dict, path: str) -> dict:
    """A copy of ``raw_a`` whose leaf ``path`` is as in ``raw_b`` (set, or removed when
    B has none). InputError when A cannot hold it alone (a named entry only in B)."""
    out = copy.deepcopy(raw_a)
    value = get_path(raw_b, path)
    if value is not None:
        set_path(out, path, value)
        return out
    head, _, key = path.rpartition(".")
    parent = get_path(out, head) if head else out
    if isinstance(parent, dict):
        parent.pop(key, None)
    return out


def npv_bridge(
    raw_a: dict,
    raw_b: dict,
    npv_a_usd: float,
    npv_b_usd: float,
    paths: list[str],
    options: SolveOptions | None = None,
    base_dir: str | Path | None = None,
) -> NpvBridge:
    """One solve per path (module doc); the NPVs of A and B are the runs' own."""
    options = dataclasses.replace(options or SolveOptions(), log=False, progress=False, sensitivities=False)
    bridge = NpvBridge(npv_a_usd, npv_b_usd, mip_gap=options.mip_gap)
    folder = Path(base_dir) if base_dir is not None else None
    for path in paths:
        try:
            inst = instance_from_dict(with_input(raw_a, raw_b, path), base_dir=folder)
        except InputError as exc:
            bridge.steps.append(BridgeStep(path, None, None, f"cannot be applied alone: {exc}"))
            continue
        result = solve(inst, options)
        if not result.has_plan:
            bridge.steps.append(BridgeStep(path, None, None, f"no plan with this input alone ({result.status.value})"))
            continue
        bridge.steps.append(BridgeStep(path, result.objective_usd - npv_a_usd, result.objective_usd))
    return bridge

