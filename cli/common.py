"""What every command shares: exit codes, the one-line input error, ``--set`` and
``--prices`` parsing, loading an instance, checking an ``--out`` folder.

Exit codes: 0 a plan was found (or the check passed), 1 no plan, 2 bad input or usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from instances import InputError, Instance, default_instance_dict, load_default, load_instance, read_raw
from instances.load import is_workbook
from optimizer.backend.numerics import range_issues
from optimizer.runs.output import OutputError, check_target

EXIT_NO_PLAN = 1
EXIT_INPUT = 2


def fail_input(message: str) -> None:
    """One line on stderr, exit code 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_INPUT)


def check_mip_gap(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """``--mip-gap``: a fraction strictly between 0 and 1 (0.01 for 1%), else one line and
    exit 2: a gap of 5 would accept any plan as "proven optimal"."""
    if value is not None and not 0 < value < 1:
        fail_input(f"--mip-gap: {value:g} is outside (0, 1): write the gap as a fraction (0.01 for 1%)")
    return value


def check_out_dir(out_dir: str | None, force: bool) -> None:
    """Before a solve: an ``--out`` folder that cannot take a run exits 2 with one line."""
    if out_dir:
        try:
            check_target(out_dir, force)
        except OutputError as exc:
            fail_input(str(exc))


def parse_set(values: tuple[str, ...]) -> list[tuple[str, object]]:
    """``PATH=VALUE`` pairs; VALUE is JSON (a bare word is taken as a string)."""
    out = []
    for item in values:
        if "=" not in item:
            fail_input(f'--set {item}: expected PATH=VALUE')
        path, text = item.split("=", 1)
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        out.append((path.strip(), value))
    return out


def load(path: str | None, overrides: list[tuple[str, object]] | None = None) -> Instance:
    """The instance at ``path``, or the embedded default; input errors exit 2."""
    try:
        inst = load_default(overrides) if path is None else load_instance(path, overrides)
        inst.overrides = [{"path": p, "value": v} for p, v in overrides or []]
        out_of_range = range_issues(inst)  # numbers HiGHS cannot be trusted with
        if out_of_range:
            raise InputError(locate_in_workbook(path, out_of_range, overrides))
        return inst
    except InputError as exc:
        fail_input(str(exc))
        raise  # unreachable


def locate_in_workbook(path: str | None, issues: list, overrides=None) -> list:
    """Issues with JSON paths named by the workbook cells they came from (``path`` a
    workbook); unchanged otherwise."""
    if path is None or not is_workbook(path):
        return issues
    from instances.xlsx import indexed_paths, locate, read_workbook_cells

    raw, places = read_workbook_cells(path)
    return locate(issues, places, indexed_paths(raw, [p for p, _ in overrides or []]))


def price_sets(instance: str | None, prices_file: str | None) -> list[tuple[str, object]]:
    """``--prices FILE.csv``: the overrides its columns stand for (``instances.prices``),
    applied before ``--set``; input errors exit 2."""
    if not prices_file:
        return []
    from instances.prices import price_overrides

    try:
        return price_overrides(prices_file, default_instance_dict() if instance is None else read_raw(instance))
    except InputError as exc:
        fail_input(str(exc))
        raise  # unreachable


def base_instance(instance: str | None) -> tuple[dict, str | None]:
    """The instance dict and the folder its CSV series are read from (exit 2 on error)."""
    if instance is None:
        return default_instance_dict(), None
    try:
        if is_workbook(instance):
            load_instance(instance)  # a workbook's problems named by sheet and cell, before any case
        return read_raw(instance), str(Path(instance).parent)
    except InputError as exc:
        fail_input(str(exc))
        raise  # unreachable


def fixed_overrides(raw: dict, prices_file: str | None, sets: tuple[str, ...], base_dir: str | None = None) -> list:
    """``--prices`` columns, then ``--set`` pairs; exit 2 on a bad file or path; a flat
    number replacing a time-varying series is a warning line on stderr."""
    from instances.overrides import apply_overrides
    from instances.prices import price_overrides

    out = []
    notes: list[str] = []
    try:
        if prices_file:
            out.extend(price_overrides(prices_file, raw))
        out.extend(parse_set(sets))
        apply_overrides(raw, out, base_dir=base_dir, warnings=notes)  # every path checked now, not once per case
    except InputError as exc:
        fail_input(str(exc))
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    return out


def refuse_existing(path: str, force: bool) -> None:
    """An existing output file is replaced only with ``--force`` (it may hold work)."""
    if Path(path).exists() and not force:
        click.echo(f"error: {path}: exists (use --force to replace it)", err=True)
        sys.exit(EXIT_INPUT)
