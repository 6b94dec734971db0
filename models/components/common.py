"""Small helpers shared by the rules: period neighbours and the model's data."""

from __future__ import annotations

from models.data import ModelData


def data(m) -> ModelData:
    """The plain data the model was built from."""
    return m.data


def prev(m, t: str, k: int = 1) -> str | None:
    """Label of the period ``k`` periods before ``t``; None before the horizon."""
    i = m.t_index[t] - k
    return m.T_list[i] if i >= 0 else None


def is_last(m, t: str) -> bool:
    return m.t_index[t] == len(m.T_list) - 1
