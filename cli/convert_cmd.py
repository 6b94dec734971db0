"""``allocate convert IN OUT``: an instance JSON file <-> an instance workbook.

The direction follows the suffixes: ``.json`` to ``.xlsx`` writes the workbook (list
and CSV series become columns of its Series sheet), ``.xlsx`` to ``.json`` writes the
JSON instance (Series columns become lists of one value per period). The form of the
input is checked (a workbook's problems name sheet and cell); whether the instance
is valid is ``allocate validate``'s question. OUT is written whole or not at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cli.common import EXIT_INPUT, refuse_existing
from instances import InputError, read_json
from instances.load import is_workbook



@click.command("convert")
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace TARGET if it exists.")
def convert_cmd(source, target, force) -> None:
    """Convert instance SOURCE to TARGET: JSON to workbook (.xlsx) or back."""
    from instances.xlsx import read_workbook, replace_atomically, write_workbook

    kinds = (is_workbook(source), is_workbook(target))
    if kinds not in ((False, True), (True, False)) or not (source.lower().endswith(".json") or target.lower().endswith(".json")):
        click.echo(f"error: convert needs one .json and one .xlsx file, got {source} and {target}", err=True)
        sys.exit(EXIT_INPUT)
    refuse_existing(target, force)
    try:
        if kinds[0]:
            raw = read_workbook(source)
            text = json.dumps(raw, indent=2, ensure_ascii=False) + "\n"
            replace_atomically(Path(target), lambda tmp: tmp.write_text(text, encoding="utf-8"))
        else:
            write_workbook(read_json(source), target, base_dir=Path(source).parent)
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(f"wrote {target}", err=True)
