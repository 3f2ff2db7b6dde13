"""`cxgap drivers`, `cxgap impact`, `cxgap experiment`: why the gap exists and what closing it is worth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from cxgap.config import Settings, load_settings

from .main import ConfigOption, app, out, user_errors
from .render import driver_table, experiment_table, exposure_table, impact_tables, sample_size_table

experiment_app = typer.Typer(help="Analyse an experiment, or size the next one.", no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")


@app.command()
@user_errors
def drivers(
    outcome: Annotated[str, typer.Option(help="nps, promoter, csat, ces or churn.")] = "nps",
    by: Annotated[str, typer.Option(help="Drivers: items, dimensions or touchpoints.")] = "items",
    touchpoint: Annotated[
        str | None,
        typer.Option(help="Use this touchpoint's transactional survey instead of the relational one."),
    ] = None,
    replicates: Annotated[int, typer.Option(help="Bootstrap replicates for the intervals.", min=20)] = 200,
    file: Annotated[
        Path | None, typer.Option(help="Analyse this CSV instead of the store (needs --mapping).")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="Driver mapping for --file: outcome, drivers, values, exposure.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Key drivers of an outcome: relative weights and Shapley values with intervals, and where to concentrate."""
    from cxgap.drivers import drivers as run_drivers
    from cxgap.engine import Engine
    from cxgap.store import Store

    settings = load_settings(config)
    if file is not None or mapping is not None:
        _file_drivers(file, mapping, replicates, settings)
        return
    store = Store(settings.store.url)
    result = run_drivers(Engine(store), settings, outcome, by, touchpoint, replicates)
    store.close()
    out.print(driver_table(result))


def _file_drivers(file: Path | None, mapping: Path | None, replicates: int, settings: Settings) -> None:
    from cxgap.drivers import key_drivers
    from cxgap.drivers.files import exposure_linkage, load_driver_mapping, read_driver_file
    from cxgap.errors import CxgapError

    if file is None or mapping is None:
        raise CxgapError("--file and --mapping go together: the CSV and the driver mapping that reads it.")
    spec = load_driver_mapping(mapping)
    data = read_driver_file(file, spec)
    a = settings.analysis
    name = spec.outcome.name
    result = key_drivers(data.drivers, name, "file", None, replicates, a.confidence, a.min_n, quadrants=False)
    out.print(driver_table(result))
    if spec.exposure:
        out.print(exposure_table(exposure_linkage(data, spec, a.confidence), name))


@app.command()
@user_errors
def impact(
    share: Annotated[
        float, typer.Option(help="Share of detractors moved to passive.", min=0.0, max=1.0)
    ] = 0.10,
    config: ConfigOption = None,
) -> None:
    """Churn, revenue and growth by NPS group; the yearly value of moving detractors and of closing each gap."""
    from cxgap.engine import Engine
    from cxgap.gaps import analyze
    from cxgap.impact import impact as run_impact
    from cxgap.store import Store

    settings = load_settings(config)
    store = Store(settings.store.url)
    engine = Engine(store)
    result = run_impact(engine, settings, analyze(engine, settings), share)
    store.close()
    for table in impact_tables(result):
        out.print(table)
    for note in result.notes:
        out.print(f"[yellow]{note}[/]")


@experiment_app.command("compare")
@user_errors
def experiment_compare(
    assignments: Annotated[
        Path, typer.Argument(help="CSV with columns customer_id and group (control/treatment).")
    ],
    metric: Annotated[
        str, typer.Option(help="nps, promoter, csat, csat_top2, ces, churn or revenue.")
    ] = "nps",
    start: Annotated[
        str | None,
        typer.Option(help="Treatment start (YYYY-MM-DD): compare before/after (difference-in-differences)."),
    ] = None,
    min_effect: Annotated[
        float, typer.Option(help="Smallest improvement worth having (metric units).")
    ] = 0.0,
    survey_kind: Annotated[str | None, typer.Option(help="relational or transactional responses.")] = None,
    config: ConfigOption = None,
) -> None:
    """Did it work? Treatment against control with an interval and a decision: persevere, pivot or wait."""
    from cxgap.engine import Engine
    from cxgap.errors import CxgapError
    from cxgap.experiments import experiment, read_assignments
    from cxgap.store import Store

    settings = load_settings(config)
    try:
        since = dt.date.fromisoformat(start) if start else None
    except ValueError:
        raise CxgapError(f"--start '{start}' is not a date (expected YYYY-MM-DD).") from None
    arms = read_assignments(assignments)
    store = Store(settings.store.url)
    result = experiment(
        Engine(store),
        arms,
        metric,
        since,
        min_effect,
        settings.analysis.confidence,
        survey_kind,
        settings.analysis.min_n,
    )
    store.close()
    out.print(experiment_table(result))


@experiment_app.command("size")
@user_errors
def experiment_size(
    nps_change: Annotated[float | None, typer.Option(help="NPS difference to detect (points).")] = None,
    promoters: Annotated[float, typer.Option(help="Current promoter share.")] = 0.35,
    detractors: Annotated[float, typer.Option(help="Current detractor share.")] = 0.25,
    share_change: Annotated[
        float | None, typer.Option(help="Change of a share to detect (e.g. churn 0.02).")
    ] = None,
    base: Annotated[float, typer.Option(help="Current value of that share.")] = 0.10,
    power: Annotated[float, typer.Option(help="Chance to detect the change if it is real.")] = 0.80,
    alpha: Annotated[float, typer.Option(help="False-alarm rate (two-sided).")] = 0.05,
) -> None:
    """Answers needed per arm to detect a given NPS (or share) change."""
    from cxgap.errors import CxgapError
    from cxgap.experiments import nps_sample_size, share_sample_size

    try:
        if nps_change is not None:
            size = nps_sample_size(nps_change, promoters, detractors, alpha, power)
        elif share_change is not None:
            size = share_sample_size(share_change, base, alpha, power)
        else:
            raise CxgapError("Give --nps-change (NPS points) or --share-change (with --base).")
    except ValueError as error:
        raise CxgapError(f"{error}.") from None
    out.print(sample_size_table(size))
