"""``allocate example``: print the embedded default instance as JSON."""

from __future__ import annotations

import json

import click

from instances import default_instance_dict


@click.command("example")
def example_cmd() -> None:
    """Print the embedded default instance as JSON (a starting point for your own)."""
    click.echo(json.dumps(default_instance_dict(), indent=2))
