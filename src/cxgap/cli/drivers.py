"""`cxgap drivers`: why the gap exists: key drivers with intervals, from the store or a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxgap.config import Settings, load_settings

from .app import ConfigOption, app, user_errors
from .output import Format, JsonOption, chosen, emit, format_option, plain_data
from .render import driver_table, exposure_table


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
    fmt: Annotated[Format, format_option("the drivers, one row each")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Key drivers of an outcome: importance and Shapley values with intervals, each driver's direction (in
    words when higher goes with a lower outcome), and where to concentrate."""
    fmt = chosen(fmt, as_json)
    from cxgap.drivers import drivers as run_drivers
    from cxgap.engine import engine_for
    from cxgap.store import Store

    settings = load_settings(config)
    if file is not None or mapping is not None:
        _file_drivers(file, mapping, replicates, settings, fmt)
        return
    with Store(settings.store.url) as store:
        result = run_drivers(engine_for(store, settings), settings, outcome, by, touchpoint, replicates)
    emit(fmt, result, lambda: [driver_table(result)], said=result.notes)


def _file_drivers(
    file: Path | None, mapping: Path | None, replicates: int, settings: Settings, fmt: Format
) -> None:
    """Drivers of a flat file's outcome and, with `[exposure]`, its gap exposure (in JSON: `exposures`)."""
    from cxgap.drivers import key_drivers
    from cxgap.drivers.files import exposure_linkage, load_driver_mapping, read_driver_file
    from cxgap.errors import CxgapError

    if file is None or mapping is None:
        raise CxgapError("--file and --mapping go together: the CSV and the driver mapping that reads it.")
    spec = load_driver_mapping(mapping)
    data = read_driver_file(file, spec)
    a = settings.analysis
    name = spec.outcome.name
    result = key_drivers(data.drivers, name, "file", None, replicates, a.confidence, a.min_n)
    exposures = exposure_linkage(data, spec, a.confidence) if spec.exposure else []
    currency = settings.company.currency
    shown = [driver_table(result)] + ([exposure_table(exposures, name, currency)] if exposures else [])
    data_ = plain_data(result) | {"exposures": plain_data(exposures)}  # the store's drivers, and exposure
    emit(fmt, data_, shown, result.to_frame, said=result.notes)
