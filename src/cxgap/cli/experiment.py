"""`cxgap experiment`: did a change work (compare), and how large must the next test be (size)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from cxgap.config import load_settings

from .app import ConfigOption, app, user_errors
from .output import Format, JsonOption, chosen, emit, format_option
from .render import experiment_table, sample_size_table

experiment_app = typer.Typer(help="Analyse an experiment, or size the next one.", no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")


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
    fmt: Annotated[Format, format_option("both arms and the difference, one row each")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Did it work? Treatment against control with an interval and a decision: persevere, pivot or wait."""
    fmt = chosen(fmt, as_json)
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
    with Store(settings.store.url) as store:
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
    emit(fmt, result, lambda: [experiment_table(result)])


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
    fmt: Annotated[Format, format_option()] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Answers needed per arm to detect a given NPS (or share) change."""
    fmt = chosen(fmt, as_json)
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
    emit(fmt, size, lambda: [sample_size_table(size)])
