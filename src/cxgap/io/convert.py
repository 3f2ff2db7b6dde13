"""Convert raw text columns to a schema column's type, vectorised, recording every value that does not fit.

Nothing is coerced silently: a value is converted only by a rule the mapping states (N/A code, value map,
date format, scale) or by the column's own type; anything else becomes a problem for its row. Scale
conversions keep exact values: nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from cxgap.store.bulk import arrow_type

if TYPE_CHECKING:
    from cxgap.io.mapping import Mapping as MappingFile

TRUE_TOKENS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_TOKENS = frozenset({"false", "f", "no", "n", "0", "0.0"})


@dataclass
class Converted:
    """A converted column and the problems found, by row position within the chunk."""

    values: pd.Series
    problems: dict[int, str] = field(default_factory=dict)

    def add(self, mask: pd.Series | np.ndarray, reason: str, raw: pd.Series | None = None) -> None:
        """Record `reason` for each position where `mask` holds (first reason per row wins).

        A `{value}` in the reason is filled with the raw value, quoted, only for the rows that fail.
        """
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        for pos in positions:
            text = reason.replace("{value}", _quote(raw.iloc[pos])) if raw is not None else reason
            self.problems.setdefault(int(pos), text)


def _quote(value: object) -> str:
    return "'" + str(value)[:60] + "'"


def blank_mask(raw: pd.Series) -> pd.Series:
    """True where a raw value is absent or only whitespace (one pass in Python: faster than pandas' string
    methods, which loop in Python as well, on chunks of any size)."""
    mask = np.fromiter(
        (
            v is None
            or v is pd.NA
            or (isinstance(v, float) and v != v)
            or (isinstance(v, str) and not v.strip())
            for v in raw.to_numpy(dtype=object)
        ),
        dtype=bool,
        count=len(raw),
    )
    return pd.Series(mask, index=raw.index)


def _code_number(value: object) -> float | None:
    """A value as a number when it reads as one (so 0, "0" and "0.0" are the same N/A code), else None."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number == number else None


def na_mask(raw: pd.Series, codes: Iterable[object]) -> pd.Series:
    """True where a raw value, trimmed, is one of the N/A `codes`: numbers compared as numbers, text
    case-insensitively. Each distinct value is judged once (a rating column holds a handful)."""
    codes = list(codes)
    numbers = {n for code in codes if (n := _code_number(code)) is not None}
    texts = {str(code).strip().casefold() for code in codes if _code_number(code) is None}

    def is_code(value: str) -> bool:
        text = value.strip()
        number = _code_number(text) if numbers and text else None
        return (number is not None and number in numbers) or text.casefold() in texts

    distinct = pd.unique(raw.to_numpy(dtype=object))
    hits = [v for v in distinct if isinstance(v, str) and is_code(v)]
    return raw.isin(hits) if hits else pd.Series(False, index=raw.index)


def _mapped_text(value: object) -> str | None:
    """A value map's target as the text the column's conversion reads ("" and None: empty)."""
    if value is None or value == "":
        return None
    return "true" if value is True else "false" if value is False else str(value)


def apply_value_map(
    raw: pd.Series, mapping: Mapping[str, object], out: Converted, keep_unlisted: bool = False
) -> pd.Series:
    """Replace each raw value (trimmed) by its mapped value (a value mapped to "" becomes empty); a value
    the map does not name is a problem, or with `keep_unlisted` passes through as it is, to the column's
    own conversion and checks."""
    blank = blank_mask(raw)
    stripped = [v.strip() if isinstance(v, str) else v for v in raw.to_numpy(dtype=object)]
    known = np.fromiter((isinstance(v, str) and v in mapping for v in stripped), dtype=bool, count=len(raw))
    if not keep_unlisted:
        listed = ", ".join(f"'{k}'" for k in list(mapping)[:8])
        out.add(~blank.to_numpy() & ~known, f"{{value}} is not one of the mapped values ({listed})", raw)
    result = [
        _mapped_text(mapping[v]) if is_known else (v if keep_unlisted else None)
        for v, is_known in zip(stripped, known, strict=True)
    ]
    return pd.Series(result, index=raw.index, dtype=object).where(~blank, None)


def apply_meaning(mapping: MappingFile, key: str, pre: Converted, item: bool = False) -> pd.Series:
    """A source column's raw values with what the mapping says they mean applied: its N/A codes become
    empty (never a problem), then its value map (an unlisted value is a problem in `pre`, or passes
    through as it is with `unlisted = "keep"`). `key` is the schema column, or the [items] source column."""
    raw = pre.values
    codes = mapping.na_codes(key, item)
    if codes:
        raw = raw.where(~na_mask(raw, codes), None)
    if key in mapping.values:
        raw = apply_value_map(raw, mapping.values[key], pre, mapping.unlisted.get(key) == "keep")
    return raw


def _numeric(raw: pd.Series, blank: pd.Series, out: Converted) -> pd.Series:
    numbers = pd.to_numeric(raw.where(~blank, None).astype(object), errors="coerce").astype(float)
    out.add(~blank & numbers.isna(), "{value} is not a number", raw)
    infinite = np.isinf(numbers.to_numpy())
    out.add(infinite, "{value} is not a finite number", raw)
    return numbers.mask(infinite)


def _scaled(numbers: pd.Series, scale: tuple[float, float] | None, info: dict[str, float]) -> pd.Series:
    """Linear conversion from the source scale onto the column's, with one division last, so that whole
    numbers convert to the nearest double of the exact value (6 on 1-7 is 26/6 = 4.333333333333333 on 1-5)."""
    if scale is None:
        return numbers
    lo, hi = scale
    return (info["min"] * (hi - lo) + (numbers - lo) * (info["max"] - info["min"])) / (hi - lo)


def convert_numeric(
    raw: pd.Series,
    column: sa.Column[object],
    scale: tuple[float, float] | None,
    factor: float | None,
    out: Converted,
) -> pd.Series:
    """Numbers; converted linearly from the source scale or multiplied by a unit factor when the mapping says so.

    Values that are refused become empty here; their rows are quarantined by the caller.
    """
    blank = blank_mask(raw)
    numbers = _numeric(raw, blank, out)
    bad = pd.Series(False, index=raw.index)
    if factor is not None:
        numbers = numbers * factor
    info = column.info
    if scale is not None:
        lo, hi = scale
        outside_scale = (numbers < lo) | (numbers > hi)
        out.add(outside_scale, f"{{value}} is outside the source scale {lo:g}-{hi:g}", raw)
        bad |= outside_scale
        numbers = _scaled(numbers, scale, info)
    integer = isinstance(column.type, sa.Integer)
    if integer:  # a whole-number column takes whole numbers only, also after a scale conversion
        fractional = numbers.notna() & (numbers % 1 != 0)
        out.add(fractional, "{value} is not a whole number", raw)
        bad |= fractional
    if "min" in info:
        outside = (numbers < info["min"]) | (numbers > info["max"])
        out.add(outside, f"{{value}} is outside {info['min']:g}-{info['max']:g}", raw)
        bad |= outside
    elif integer:
        huge = numbers.abs() > 2**53
        out.add(huge, "{value} is too large", raw)
        bad |= huge
    numbers = numbers.mask(bad)
    return numbers.astype("Int64") if integer else numbers


def convert_bool(raw: pd.Series, out: Converted) -> pd.Series:
    """Booleans from true/false, yes/no, y/n, 1/0 (any case)."""
    blank = blank_mask(raw)
    lowered = raw.astype("string").str.strip().str.lower()
    is_true, is_false = lowered.isin(TRUE_TOKENS).fillna(False), lowered.isin(FALSE_TOKENS).fillna(False)
    out.add(~blank & ~is_true & ~is_false, "{value} is not yes/no (expected true/false, yes/no or 1/0)", raw)
    result = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    result[is_true.to_numpy(dtype=bool)] = True
    result[is_false.to_numpy(dtype=bool)] = False
    return result


def convert_datetime(raw: pd.Series, fmt: str | None, date_only: bool, out: Converted) -> pd.Series:
    """Dates and times in the mapping's strptime format (ISO 8601 by default); offsets are converted to UTC."""
    blank = blank_mask(raw)
    text = raw.where(~blank, None).astype(object)
    parsed = pd.to_datetime(text, format=fmt or "ISO8601", errors="coerce", utc=True)
    expected = f"the format {fmt}" if fmt else "ISO 8601, e.g. 2024-03-31 or 2024-03-31T14:05:00"
    out.add(~blank & parsed.isna(), f"{{value}} is not a date in {expected}", raw)
    naive = parsed.dt.tz_localize(None)
    return naive.dt.normalize() if date_only else naive


def convert_text(raw: pd.Series, column: sa.Column[object], out: Converted) -> pd.Series:
    """Text, trimmed for codes and ids (not for free text); length-checked against the column."""
    blank = blank_mask(raw)
    text = raw.astype("string")
    if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Text):
        text = text.str.strip()
        limit = column.type.length
        if limit:
            out.add(~blank & (text.str.len() > limit), f"is longer than {limit} characters")
    return text.where(~blank, None).astype(object)


def convert_column(
    raw: pd.Series,
    column: sa.Column[object],
    *,
    fmt: str | None = None,
    scale: tuple[float, float] | None = None,
    factor: float | None = None,
) -> Converted:
    """Convert one raw column to `column`'s type; requiredness is checked by the caller."""
    out = Converted(values=raw)
    kind = column.type
    if isinstance(kind, sa.Boolean):
        out.values = convert_bool(raw, out)
    elif isinstance(kind, sa.Integer | sa.Float | sa.Numeric):
        out.values = convert_numeric(raw, column, scale, factor, out)
    elif isinstance(kind, sa.DateTime | sa.Date):
        out.values = convert_datetime(
            raw, fmt, isinstance(kind, sa.Date) and not isinstance(kind, sa.DateTime), out
        )
    else:
        out.values = convert_text(raw, column, out)
    allowed = column.info.get("allowed")
    if allowed is not None:
        bad = out.values.notna() & ~out.values.isin(list(allowed))
        out.add(bad, f"{{value}} is not one of {', '.join(allowed)}", raw)
    return out


def to_arrow(frame: pd.DataFrame, table: sa.Table) -> pa.Table:
    """Typed Arrow table of `frame`'s columns, in the schema's types."""
    arrays = []
    for name in frame.columns:
        target = arrow_type(table.columns[name])
        series = frame[name]
        if pa.types.is_date32(target):
            array = pa.array(pd.to_datetime(series).dt.date, type=target, from_pandas=True)
        elif pa.types.is_timestamp(target):
            array = pa.array(pd.to_datetime(series), type=target, from_pandas=True)
        else:
            array = pa.array(series.astype(object).where(series.notna(), None), type=target, from_pandas=True)
        arrays.append(array)
    return pa.Table.from_arrays(arrays, names=list(frame.columns))
