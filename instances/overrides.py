"""Dotted-path overrides (SPEC section 6, also ``--set PATH=VALUE``).

A path walks the instance JSON; sites, debt facilities and scenarios are addressed
by name: ``sites.Rockdale.power_price_usd_per_mwh``,
``finance.debt.construction_loan.rate_annual``, ``markets.ai_demand_it_mw.ERCOT``,
``markets.asic_models.S21XP.price_usd_per_th``. A site's price tiers are addressed
by position: ``sites.Rockdale.power_price_tiers.1.resale_usd_per_mwh`` (or replaced
whole: ``sites.Rockdale.power_price_tiers``).
"""

from __future__ import annotations

import copy
import difflib
from typing import Any, Iterator

from instances.errors import InputError, Issue
from instances.schema import SCHEMAS

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


def set_path(raw: dict, path: str, value: Any, where: str = "") -> None:
    """Set ``path`` to ``value`` inside ``raw`` (in place); InputError for a bad path."""
    parts = path.split(".")
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
                node[key] = value
            elif i + 2 == len(parts) and isinstance(entries, dict):
                entries[parts[i + 1]] = value
            else:
                raise _fail(path, raw, f'"{key}" holds one value per name', where)
            return
        if field.kind == "object" and field.schema and not last:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node, schema, i = node[key], field.schema, i + 1
            continue
        if not last:
            raise _fail(path, raw, f'"{key}" has no fields', where)
        node[key] = copy.deepcopy(value)
        return


def apply_overrides(raw: dict, overrides: dict[str, Any] | list[tuple[str, Any]], where: str = "") -> dict:
    """A deep copy of ``raw`` with every ``path -> value`` applied in order."""
    out = copy.deepcopy(raw)
    items = overrides.items() if isinstance(overrides, dict) else overrides
    for path, value in items:
        set_path(out, path, value, f"{where}.{path}" if where else path)
    return out


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
