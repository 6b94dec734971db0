"""Dotted-path overrides (SPEC section 6, also ``--set PATH=VALUE``).

A path walks the instance JSON; sites, debt facilities and scenarios are addressed
by name: ``sites.Rockdale.power_price_usd_per_mwh``,
``finance.debt.construction_loan.rate_annual``, ``markets.ai_demand_it_mw.ERCOT``,
``markets.asic_models.S21XP.price_usd_per_th``. A site's price tiers are addressed
by position: ``sites.Rockdale.power_price_tiers.1.resale_usd_per_mwh`` (or replaced
whole: ``sites.Rockdale.power_price_tiers``).

A value is set as given (JSON: a number, a list, any series form), or it is an
*operator* on the value already there (docs/instance-format.md, "Overrides"):

- ``"*F"`` scales: every period's value times F (a number, each entry of a list,
  the ``start`` of a growth series, so its growth and steps are kept; a CSV series
  is read and becomes the list of its scaled values);
- ``"+D"`` shifts: every period's value plus D (``"+-3"`` lowers by 3); a growth or
  CSV series becomes the list of its shifted values, one per period (adding D does
  not keep a growth form);
- ``PATH.start``, ``PATH.annual_growth`` and ``PATH.steps`` set one key of a growth
  series (a flat number first becomes ``{"start": number}``).

A number that replaces a time-varying series (a growth series with growth or
steps, a CSV series, a list of unequal values) is set, and a one-line warning is
appended to the ``warnings`` list of the caller, when it passes one
(``"markets.hashprice_usd_per_ph_day: a growing series with 2 steps becomes a flat 28"``).
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from pathlib import Path
from typing import Any, Iterator

from instances.calendar import PERIOD_MONTHS_ALLOWED, parse_month, periods_table
from instances.errors import InputError, Issue
from instances.schema import SCHEMAS
from instances.series import GROWTH_KEYS, Horizon, describe, is_number, resolve_series

NAMED_LISTS = {"sites", "debt", "scenarios", "asic_models"}
# lists whose items are addressed by their 0-based position: sites.A.power_price_tiers.1.price_usd_per_mwh
INDEXED_LISTS = {"power_price_tiers"}


def valid_paths(raw: dict) -> list[str]:
    """Every leaf path the instance could set (fields of the schema, by name)."""
    return sorted(_walk_paths(raw, "instance", ""))


def _walk_paths(node: Any, schema: str, prefix: str) -> Iterator[str]:
    for key, field in SCHEMAS[schema].items():
        path = f"{prefix}{key}"
        if field.kind == "object" and field.schema:
            sub = node.get(key) if isinstance(node, dict) else None
            yield from _walk_paths(sub if isinstance(sub, dict) else {}, field.schema, path + ".")
        elif field.kind == "list" and key in NAMED_LISTS:
            items = node.get(key) if isinstance(node, dict) else None
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    yield from _walk_paths(item, field.schema, f"{path}.{item['name']}.")
        elif field.kind == "list" and key in INDEXED_LISTS:
            items = node.get(key) if isinstance(node, dict) else None
            for k, item in enumerate(items if isinstance(items, list) else []):
                yield from _walk_paths(item if isinstance(item, dict) else {}, field.schema, f"{path}.{k}.")
            yield path
        elif field.kind == "map":
            entries = node.get(key) if isinstance(node, dict) else None
            for name in entries if isinstance(entries, dict) else []:
                yield f"{path}.{name}"
            yield path
        else:
            yield path


def _fail(path: str, raw: dict, why: str, where: str) -> InputError:
    match = difflib.get_close_matches(path, valid_paths(raw), n=1, cutoff=0.4)
    hint = f' (did you mean "{match[0]}"?)' if match else ""
    return InputError(Issue(where, f'{why} in path "{path}"{hint}'))


def set_path(raw: dict, path: str, value: Any, where: str = "", *, base_dir: str | Path | None = None, warnings: list[str] | None = None) -> None:
    """Set ``path`` to ``value`` inside ``raw`` (in place); InputError for a bad path.

    ``value`` may be an operator (``"*0.8"``, ``"+7"``: :func:`parse_operator`) applied
    to the value there; ``base_dir`` is the folder CSV series are read from (for an
    operator on a CSV series); ``warnings`` receives one line when a flat number
    replaces a time-varying series."""
    parts = path.split(".")
    leaf = _Leaf(raw, path, where or path, base_dir, warnings)
    node, schema = raw, "instance"
    where = where or path
    i = 0
    while i < len(parts):
        key = parts[i]
        fields = SCHEMAS[schema]
        if key not in fields:
            raise _fail(path, raw, f'unknown field "{key}"', where)
        field = fields[key]
        last = i == len(parts) - 1
        if field.kind == "list" and key in NAMED_LISTS:
            if last or i + 2 >= len(parts) + 1:
                raise _fail(path, raw, f'"{key}" needs a name and a field', where)
            name = parts[i + 1]
            items = node.get(key) if isinstance(node.get(key), list) else []
            found = [it for it in items if isinstance(it, dict) and it.get("name") == name]
            if not found:
                names = [str(it.get("name")) for it in items if isinstance(it, dict)]
                match = difflib.get_close_matches(name, names, n=1, cutoff=0.4)
                # the hint is a whole valid path: the closest name in place of the wrong one
                guess = ".".join(parts[: i + 1] + [match[0]] + parts[i + 2 :]) if match else None
                if guess is None or guess not in valid_paths(raw):
                    close = difflib.get_close_matches(path, valid_paths(raw), n=1, cutoff=0.4)
                    guess = close[0] if close else guess
                hint = f' (did you mean "{guess}"?)' if guess else (f" (names: {', '.join(names)})" if names else f" (there is no {key} entry)")
                raise InputError(Issue(where, f'no entry named "{name}" in {key} of path "{path}"{hint}'))
            if i + 2 >= len(parts):
                raise _fail(path, raw, f'"{key}.{name}" needs a field', where)
            node, schema, i = found[0], field.schema, i + 2
            continue
        if field.kind == "list" and key in INDEXED_LISTS and not last:
            items = node.get(key)
            position = parts[i + 1]
            count = len(items) if isinstance(items, list) else 0
            if not position.isdigit() or int(position) >= count:
                raise InputError(Issue(where, f'no item {position} in {key} of path "{path}" (items 0 to {count - 1})' if count else f'no {key} to address in path "{path}"'))
            if i + 2 >= len(parts) or not isinstance(items[int(position)], dict):
                raise _fail(path, raw, f'"{key}.{position}" needs a field', where)
            node, schema, i = items[int(position)], field.schema, i + 2
            continue
        if field.kind == "map":
            entries = node.setdefault(key, {})
            if last:
                if parse_operator(value) is not None and isinstance(entries, dict):
                    for name in entries:  # an operator on the whole map moves every entry
                        leaf.assign(entries, name, value, f"{path}.{name}")
                else:
                    node[key] = value
            elif i + 2 == len(parts) and isinstance(entries, dict):
                leaf.assign(entries, parts[i + 1], value, path)
            elif i + 3 == len(parts) and isinstance(entries, dict) and parts[i + 2] in GROWTH_KEYS:
                leaf.growth_key(entries, parts[i + 1], parts[i + 2], value)
            else:
                raise _fail(path, raw, f'"{key}" holds one value per name', where)
            return
        if field.kind == "object" and field.schema and not last:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node, schema, i = node[key], field.schema, i + 1
            continue
        if field.kind == "series" and i + 2 == len(parts) and parts[i + 1] in GROWTH_KEYS:
            leaf.growth_key(node, key, parts[i + 1], value)
            return
        if not last:
            more = f" (a series has {', '.join('.' + k for k in GROWTH_KEYS)})" if field.kind == "series" else ""
            raise _fail(path, raw, f'"{key}" has no fields{more}', where)
        leaf.assign(node, key, value, path)
        return


def apply_overrides(raw: dict, overrides: dict[str, Any] | list[tuple[str, Any]], where: str = "", *, base_dir: str | Path | None = None, warnings: list[str] | None = None) -> dict:
    """A deep copy of ``raw`` with every ``path -> value`` applied in order (operators
    act on the value left by the overrides before them)."""
    out = copy.deepcopy(raw)
    items = overrides.items() if isinstance(overrides, dict) else overrides
    for path, value in items:
        set_path(out, path, value, f"{where}.{path}" if where else path, base_dir=base_dir, warnings=warnings)
    return out


# --------------------------------------------------------------------------- operators

_OPERATOR = re.compile(r"^\s*([*+])\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


def parse_operator(value: Any) -> tuple[str, float] | None:
    """``("*", F)`` for the text ``"*F"``, ``("+", D)`` for ``"+D"``; None for any other value
    (a number, a list, a plain word): that value is set as it is."""
    if not isinstance(value, str):
        return None
    match = _OPERATOR.match(value)
    if match is None:
        return None
    number = float(match.group(2))
    return (match.group(1), number) if math.isfinite(number) else None


def _apply_number(op: str, operand: float, v: float) -> int | float:
    """``v * F`` or ``v + D``; an integer stays one when the result is whole (``max_blocks=*2``)."""
    out = v * operand if op == "*" else v + operand
    if isinstance(v, int) and float(out).is_integer():
        return int(out)
    return out


def describe_series(value: Any) -> str | None:
    """What a time-varying series is, in words ("a growing series with 2 steps");
    None for a value that is the same in every period (a number, a flat list, a
    growth series without growth or steps)."""
    if isinstance(value, list):
        numbers = [v for v in value if is_number(v)]
        return f"a list of {len(value)} values" if len(set(numbers)) > 1 else None
    if not isinstance(value, dict):
        return None
    if "csv" in value:
        return f'a CSV series ({value.get("csv")}, column {value.get("column")})'
    growth = value.get("annual_growth", 0)
    steps = value.get("steps") if isinstance(value.get("steps"), list) else []
    with_steps = f" with {len(steps)} step{'s' if len(steps) != 1 else ''}" if steps else ""
    if is_number(growth) and growth != 0:
        return ("a growing series" if growth > 0 else "a shrinking series") + with_steps
    return f"a series{with_steps}" if steps else None


def _horizon(raw: dict, base_dir: str | Path | None, path: str) -> Horizon:
    """The periods of ``raw`` (for an operator that turns a series into a list)."""
    h = raw.get("horizon") if isinstance(raw.get("horizon"), dict) else {}
    try:
        start = parse_month(h.get("start"))
        periods, months = h.get("periods"), h.get("period_months", 3)
        if not (isinstance(periods, int) and isinstance(months, int) and 1 <= periods <= 600 and months in PERIOD_MONTHS_ALLOWED):
            raise ValueError("invalid horizon")
    except ValueError:
        raise InputError(Issue(path, "an operator on this series needs a valid horizon (start, periods, period_months)")) from None
    table = periods_table(start, periods, months)
    return Horizon(tuple(table.index), table["start_month"].to_numpy(), months, None if base_dir is None else Path(base_dir))


class _Leaf:
    """What setting one leaf needs besides the node: the whole instance (for the
    horizon), the CSV folder and the warnings list."""

    def __init__(self, raw: dict, path: str, where: str, base_dir, warnings: list[str] | None):
        self.raw, self.path, self.where, self.base_dir, self.warnings = raw, path, where, base_dir, warnings

    def assign(self, node: dict, key: str, value: Any, path: str) -> None:
        """``node[key] = value``, or the operator ``value`` applied to ``node[key]``."""
        op = parse_operator(value)
        old = node.get(key)
        if op is None:
            shape = describe_series(old)
            if shape is not None and is_number(value) and self.warnings is not None:
                self.warnings.append(f"{path}: {shape} becomes a flat {value:g}")
            node[key] = copy.deepcopy(value)
            return
        node[key] = self.operate(old, op, value)

    def operate(self, old: Any, op: tuple[str, float], text: str) -> Any:
        """The value ``old`` moved by the operator: see the module docstring."""
        sign, operand = op
        if old is None:
            raise InputError(Issue(self.where, f"{text}: the field is not set, there is nothing to {'scale' if sign == '*' else 'shift'}"))
        if is_number(old):
            return _apply_number(sign, operand, old)
        if isinstance(old, list) and all(is_number(v) for v in old):
            return [_apply_number(sign, operand, v) for v in old]
        if isinstance(old, dict) and "csv" not in old and sign == "*" and is_number(old.get("start")):
            return dict(old, start=_apply_number(sign, operand, old["start"]))  # growth and steps kept
        if isinstance(old, dict):  # a shifted growth series, a CSV series: resolved, then moved
            issues: list[Issue] = []
            values = resolve_series(old, self.where, _horizon(self.raw, self.base_dir, self.where), issues)
            if values is None:
                raise InputError(issues or Issue(self.where, "cannot resolve the series"))
            return [float(v) * operand if sign == "*" else float(v) + operand for v in values]
        raise InputError(Issue(self.where, f"{text} applies to a number or a series, got {describe(old)}"))

    def growth_key(self, node: dict, key: str, part: str, value: Any) -> None:
        """``PATH.start|annual_growth|steps``: one key of the growth series at ``node[key]``."""
        old = node.get(key)
        if is_number(old):
            old = {"start": old}  # a flat number is the growth series that starts there
        if not isinstance(old, dict) or "csv" in old:
            raise InputError(Issue(self.where, f".{part} applies to a growth series {{start, annual_growth, steps}}, but {key} is {describe(old)}"))
        new = dict(old)
        op = parse_operator(value)
        if op is not None and part != "steps":
            new[part] = self.operate(old.get(part, 0.0 if part == "annual_growth" else None), op, value)
        else:
            new[part] = copy.deepcopy(value)
        node[key] = new


def get_path(raw: dict, path: str) -> Any:
    """The value at a dotted path of an instance dict (named lists by name, price tiers
    by 0-based position as ``set_path`` reads them); None when absent."""
    node: Any = raw
    parts = path.split(".")
    i = 0
    while i < len(parts):
        key = parts[i]
        if not isinstance(node, dict):
            return None
        value = node.get(key)
        if key in NAMED_LISTS and isinstance(value, list) and i + 1 < len(parts):
            found = [it for it in value if isinstance(it, dict) and it.get("name") == parts[i + 1]]
            if not found:
                return None
            node, i = found[0], i + 2
            continue
        if key in INDEXED_LISTS and isinstance(value, list) and i + 1 < len(parts):
            position = parts[i + 1]
            if not position.isdigit() or int(position) >= len(value):
                return None
            node, i = value[int(position)], i + 2
            continue
        node, i = value, i + 1
    return node
