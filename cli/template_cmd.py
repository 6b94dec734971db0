"""``allocate template BOOK.xlsx``: an empty instance workbook to fill in Excel.

Every sheet of the instance format (instances/sheets.py), each header with its unit
and a comment giving the field's meaning and default, lists for booleans and site
names, frozen header rows and a README sheet. ``allocate solve BOOK.xlsx`` reads it.
"""

from __future__ import annotations

import sys

import click

from instances import InputError

from cli.common import EXIT_INPUT, refuse_existing


@click.command("template")
@click.argument("book", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace BOOK if it exists.")
def template_cmd(book, force) -> None:
    """Write an empty instance workbook BOOK (.xlsx) to fill in."""
    from instances.xlsx import template

    if not book.lower().endswith(".xlsx"):
        click.echo(f"error: {book}: a workbook name ends in .xlsx", err=True)
        sys.exit(EXIT_INPUT)
    refuse_existing(book, force)
    try:
        template(book)
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(f"wrote {book}: fill it, then: allocate validate {book}", err=True)
