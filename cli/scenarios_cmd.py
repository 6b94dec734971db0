"""``allocate scenarios INSTANCE --paths N --seed S [--reduce K] [-o OUT.json]``.

Writes INSTANCE with its ``scenarios`` replaced by N hashprice paths of equal
probability (or K representative ones) drawn from the stochastic model of
``instances.scenario_gen`` with the instance's ``scenario_model`` parameters.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np

from cli.common import EXIT_INPUT
from instances import InputError, load_instance
from instances.load import is_workbook, read_raw
from instances.scenario_gen import generate_scenarios


@click.command("scenarios")
@click.argument("instance", type=click.Path())
@click.option("--paths", type=click.IntRange(min=1, max=100_000), required=True, help="Number of simulated hashprice paths.")
@click.option("--seed", type=int, required=True, help="Seed of numpy.random.default_rng (same seed, same scenarios).")
@click.option("--reduce", "reduce_to", type=click.IntRange(min=1), help="Keep K representative paths (k-medoids; probabilities = cluster shares).")
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False), help="Write the instance here, JSON or .xlsx (default: JSON on standard output).")
def scenarios_cmd(instance, paths, seed, reduce_to, out_file) -> None:
    """Write INSTANCE with N hashprice scenarios (docs/uncertainty.md)."""
    try:
        load_instance(instance)  # every problem reported before generating
        raw = read_raw(instance)
        base_dir = Path(instance).parent
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    if raw.get("scenarios"):
        click.echo(f"warning: the {len(raw['scenarios'])} scenarios of the instance are replaced by the generated ones", err=True)
    out, sim = generate_scenarios(raw, paths, seed, reduce_to)
    if out_file and is_workbook(out_file):  # -o stochastic.xlsx: the instance as a workbook
        from instances.xlsx import write_workbook

        try:
            write_workbook(out, out_file, base_dir=base_dir)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INPUT)
    else:
        if out_file and Path(out_file).resolve().parent != base_dir.resolve():
            _rebase_csv(out, base_dir, Path(out_file).resolve().parent)
        text = json.dumps(out, indent=2) + "\n"
        if out_file:
            Path(out_file).write_text(text)
        else:
            click.echo(text, nl=False)
    hp = sim.hashprice
    mean_path = hp.mean(axis=1)
    click.echo(
        f"{len(out['scenarios'])} scenarios from {paths} paths (seed {seed}); mean hashprice over the horizon "
        f"min {mean_path.min():.2f}, median {np.median(mean_path):.2f}, max {mean_path.max():.2f} USD/PH/day",
        err=True,
    )


def _rebase_csv(node, old: Path, new: Path) -> None:
    """CSV series paths are relative to the instance file: keep them valid when the
    output is written to another folder."""
    import os

    if isinstance(node, dict):
        if "csv" in node and isinstance(node["csv"], str) and not os.path.isabs(node["csv"]):
            node["csv"] = os.path.relpath((old / node["csv"]).resolve(), new)
        for v in node.values():
            _rebase_csv(v, old, new)
    elif isinstance(node, list):
        for v in node:
            _rebase_csv(v, old, new)
