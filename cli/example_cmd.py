"""``allocate example``: print the embedded default instance as JSON."""

from __future__ import annotations

import json

import click

from instances import default_instance_dict


@click.command("example")
@click.option("--xlsx", "book", type=click.Path(dir_okay=False), help="Write it as an instance workbook instead (BOOK.xlsx).")
@click.option("--force", is_flag=True, help="Replace the --xlsx file if it exists.")
def example_cmd(book=None, force=False) -> None:
    """Print the embedded default instance as JSON (a starting point for your own)."""
    if book:
        from cli.common import refuse_existing
        from instances.xlsx import write_workbook

        refuse_existing(book, force)
        write_workbook(default_instance_dict(), book)
        click.echo(f"wrote {book}: allocate solve {book}", err=True)
        return
    click.echo(json.dumps(default_instance_dict(), indent=2))
