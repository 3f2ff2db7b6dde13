"""Key drivers and gap exposure from one flat file (a CRM or survey extract), through a driver mapping.

A driver mapping (TOML) names the outcome column, the driver columns and how text values become numbers;
a value mapped to "" is "not applicable": left out pair by pair, never scored as zero. N/A codes say the
same without a value map (`[na]` per driver, `driver_na` for every driver, `na` of the outcome: e.g. 0 on
a 1-5 rating). `scale` is the drivers' rating scale; `[scales]` gives a driver its own, whose answers
are converted linearly onto `scale` when there is one (exactly, as an import does). Every value the
mapping does not cover stops the run with the file, row and column, so nothing is silently guessed.

The file is read as `cxgap import` reads one (`cxgap.io.readers`; `delimiter` and `encoding` at the
mapping's top, "," and "utf-8" by default): an empty or header-only file, a missing column, a row that
cannot be read or a negative revenue is one sentence naming the file and row, never a partial analysis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxgap.config import describe_validation_error, read_toml
from cxgap.drivers.data import DriverData, Scale, rating_scale
from cxgap.errors import ConfigError, CxgapError, InputFileError
from cxgap.impact.exposure import Exposure, exposure_from_counts
from cxgap.io.convert import na_mask
from cxgap.io.mapping import Code
from cxgap.io.text_table import read_text_table, rows_said

Value = float | str


class OutcomeColumn(BaseModel):
    """The outcome: a column, with a value map when it holds text (Yes/No)."""

    model_config = ConfigDict(extra="forbid")
    column: str
    name: str = "outcome"
    values: dict[str, float] = Field(default_factory=dict)
    na: list[Code] = Field(default_factory=list)


class RevenueColumn(BaseModel):
    """Revenue per customer, times `factor` to make it yearly."""

    model_config = ConfigDict(extra="forbid")
    column: str
    factor: float = Field(1.0, gt=0)


class DriverMapping(BaseModel):
    """A validated driver mapping."""

    model_config = ConfigDict(extra="forbid")
    delimiter: str = Field(",", min_length=1, max_length=1)  # how the file is read, as in an import mapping
    encoding: str = "utf-8"
    outcome: OutcomeColumn
    drivers: dict[str, str] = Field(min_length=2)
    values: dict[str, dict[str, Value]] = Field(default_factory=dict)
    revenue: RevenueColumn | None = None
    exposure: dict[str, float] = Field(default_factory=dict)
    scale: Scale | None = None  # the survey's rating scale, e.g. [1, 5]; else read per column
    scales: dict[str, Scale] = Field(default_factory=dict)  # a driver's own scale, overriding `scale`
    na: dict[str, list[Code]] = Field(default_factory=dict)  # driver -> its N/A codes
    driver_na: list[Code] = Field(default_factory=list)  # N/A codes of every driver (added to its own)


IMPORT_KEYS = ("table", "columns")  # what only an import mapping (`cxgap init --from` writes them) has
CHURN_KEYS = ("id", "duration", "segment", "health", "grows_with_time")  # what only a churn mapping has
DRIVER_NEEDS = (
    "`cxgap drivers --file` needs a driver mapping: [outcome] with the outcome's column (and its values "
    "where it holds text, such as Yes = 1, No = 0) and [drivers] naming two or more columns, as in "
    "examples/telco_drivers.toml"
)


def mapping_toml(path: Path, needs: str) -> dict[str, Any]:
    """A driver or churn mapping's TOML. An import mapping given instead (what `cxgap init --from` writes)
    is one sentence saying so and what the command `needs`, rather than a list of keys it lacks."""
    data = read_toml(path)
    if "drivers" not in data and any(key in data for key in IMPORT_KEYS):
        raise ConfigError(
            f"{path} is an import mapping (for `cxgap import`: `table` and [columns] put a file into a store "
            f"table); {needs}."
        )
    return data


def check_reading(path: Path, spec: DriverMapping) -> None:
    """The mapping's `encoding` is one Python knows (else one sentence, as an import mapping's)."""
    try:
        "".encode(spec.encoding)
    except LookupError:
        raise ConfigError(
            f"{path}: encoding = '{spec.encoding}' is not an encoding Python knows (try utf-8 or latin-1)."
        ) from None


def load_driver_mapping(path: str | Path) -> DriverMapping:
    """Read and validate a driver mapping; one sentence for any mistake, and for a mapping of another kind
    (an import mapping, or a churn mapping meant for `cxgap risk --file`)."""
    data = mapping_toml(Path(path), DRIVER_NEEDS)
    churn = [key for key in CHURN_KEYS if key in data]
    if churn:
        raise ConfigError(
            f"{path} is a churn mapping (it names {', '.join(churn)}), for `cxgap risk --file`; "
            f"{DRIVER_NEEDS}."
        )
    try:
        spec = DriverMapping.model_validate(data)
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error, str(path), DriverMapping)) from None
    check_reading(Path(path), spec)
    unknown = (set(spec.values) | set(spec.exposure) | set(spec.scales) | set(spec.na)) - set(spec.drivers)
    if unknown:
        raise ConfigError(
            f"{path}: [values]/[exposure]/[scales]/[na] name {', '.join(sorted(unknown))}, which [drivers] does not."
        )
    named = [("scale", spec.scale)] + [(f"scales.{name}", s) for name, s in spec.scales.items()]
    for key, scale in named:
        if scale is not None and not scale[0] < scale[1]:
            raise ConfigError(f"{path}: {key} = {list(scale)} must go from low to high, e.g. [1, 5].")
    return spec


def column_numbers(
    path: Path, frame: pd.DataFrame, column: str, values: dict[str, Value], na: Sequence[Code] = ()
) -> np.ndarray:
    """One column as numbers: through its value map if it has one, else parsed; blank or an N/A code =
    missing."""
    raw = frame[column].str.strip()
    if na:
        raw = raw.mask(na_mask(raw, na), "")
    if values:
        mapped: pd.Series = raw.map(lambda v: values.get(v, "?") if v != "" else "")
        bad = mapped[mapped.eq("?")]
        mapped = mapped.mask(mapped.eq(""))
    else:
        mapped = pd.to_numeric(raw.mask(raw.eq("")), errors="coerce")
        bad = raw[mapped.isna() & raw.ne("")]
    if len(bad):
        row = int(bad.index[0])  # the frame's index is the rows' numbers in the file
        expected = f"one of {', '.join(repr(k) for k in values)}" if values else "a number"
        raise InputFileError(
            f"{path} row {row}, column '{column}': expected {expected}, got {raw[bad.index[0]]!r} "
            f"({len(bad)} such rows); add it to the mapping's [values], or to [na] if it means "
            "'not applicable'."
        )
    return mapped.astype(float).to_numpy()


@dataclass(frozen=True)
class FileData:
    """Driver data read from a file, with each row's yearly revenue when the mapping names it."""

    drivers: DriverData
    revenue: np.ndarray | None


def revenue_numbers(path: Path, frame: pd.DataFrame, revenue: RevenueColumn) -> np.ndarray:
    """Each row's yearly revenue (the column times its factor); a negative one is one sentence naming its
    row, since revenue at risk or at stake would subtract it."""
    values = column_numbers(path, frame, revenue.column, {})
    below = np.flatnonzero(values < 0)
    if len(below):
        raw = str(frame[revenue.column].iloc[below[0]]).strip()
        raise InputFileError(
            f"{path} row {frame.index[below[0]]}, column '{revenue.column}': the revenue is {raw}, below 0 "
            f"({rows_said(len(below))}); expected a customer's revenue, 0 or more."
        )
    return values * revenue.factor


def read_driver_file(path: str | Path, spec: DriverMapping) -> FileData:
    """Read a data file (a CSV as the mapping's `delimiter` and `encoding` say) into driver data."""
    path = Path(path)
    needed = [spec.outcome.column, *spec.drivers.values()] + ([spec.revenue.column] if spec.revenue else [])
    frame = read_text_table(path, needed, spec.delimiter, spec.encoding)
    columns = [
        _on_scale(path, frame, name, spec, driver_numbers(path, frame, name, spec)) for name in spec.drivers
    ]
    outcome = column_numbers(path, frame, spec.outcome.column, dict(spec.outcome.values), spec.outcome.na)
    revenue = revenue_numbers(path, frame, spec.revenue) if spec.revenue else None
    scales = tuple(
        _common_scale(name, spec) or rating_scale(column, spec.scale)
        for name, column in zip(spec.drivers, columns, strict=True)
    )
    data = DriverData(tuple(spec.drivers), np.column_stack([*columns, outcome]), len(frame), scales)
    return FileData(data, revenue)


def driver_numbers(path: Path, frame: pd.DataFrame, name: str, spec: DriverMapping) -> np.ndarray:
    """A driver's column as numbers: its value map, its own N/A codes and those of every driver applied."""
    codes = [*spec.na.get(name, []), *spec.driver_na]
    return column_numbers(path, frame, spec.drivers[name], spec.values.get(name, {}), codes)


def _common_scale(name: str, spec: DriverMapping) -> Scale | None:
    """The scale a driver with its own (`[scales]`) ends on: the mapping's `scale` when it gives one (the
    answers are converted onto it), else its own; None for a driver without one of its own."""
    own = spec.scales.get(name)
    return None if own is None else spec.scale or own


def _converted(values: np.ndarray, own: Scale, common: Scale) -> np.ndarray:
    """Answers on a driver's own scale converted linearly onto the common one, exactly (one division)."""
    (lo, hi), (low, high) = own, common
    return (low * (hi - lo) + (values - lo) * (high - low)) / (hi - lo)


def _on_scale(
    path: Path, frame: pd.DataFrame, name: str, spec: DriverMapping, values: np.ndarray
) -> np.ndarray:
    """A driver with its own scale: every answer within it (else one sentence), converted onto `scale`."""
    own = spec.scales.get(name)
    if own is None:
        return values
    outside = np.flatnonzero((values < own[0]) | (values > own[1]))
    if len(outside):
        raise InputFileError(
            f"{path} row {frame.index[outside[0]]}, column '{spec.drivers[name]}': {values[outside[0]]:g} is outside "
            f"the driver's scale {own[0]:g}-{own[1]:g} (scales.{name}; {len(outside)} such rows); "
            "add it to [na] if it means 'not applicable'."
        )
    return _converted(values, own, spec.scale) if spec.scale else values


def exposure_linkage(data: FileData, spec: DriverMapping, confidence: float = 0.95) -> list[Exposure]:
    """Outcome rate (e.g. churn) of exposed vs other customers per [exposure] driver, with intervals."""
    values = data.drivers.values
    outcome = values[:, -1]
    out = []
    for name, bad_value in spec.exposure.items():
        column = values[:, data.drivers.drivers.index(name)]
        at = bad_value
        if (own := spec.scales.get(name)) and spec.scale:  # the value as its answers were converted
            at = float(_converted(np.array([bad_value]), own, spec.scale)[0])
        known = ~np.isnan(column) & ~np.isnan(outcome)
        exposed = known & (column == at)
        others = known & (column != at)
        counts = [(int(outcome[m].sum()), int(m.sum())) for m in (exposed, others)]
        if not counts[0][1] or not counts[1][1]:
            who = "no customer" if not counts[0][1] else "every customer"
            raise CxgapError(
                f"[exposure] {name} = {bad_value:g}: {who} with a known {name} and outcome is at that value, "
                "so there is no one to compare them with; remove it from [exposure] for this file."
            )
        money = float(np.nansum(data.revenue[exposed])) if data.revenue is not None else math.nan
        out.append(exposure_from_counts(name, bad_value, counts[0], counts[1], money, confidence))
    return out
