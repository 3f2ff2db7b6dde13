"""The mapping's conversions as SQL over a scanned file: a typed value per cell and a flag per row that says
whether the row path (io/chunks.py) must judge it.

SQL decides only what it can decide exactly as convert.py would. Identifiers and free text are trimmed and
length-checked in SQL (a value whose edges hold whitespace other than spaces is flagged); plain decimal
numbers of up to 15 digits are cast, scaled and range-checked in SQL with the same floating-point steps.
Every other column (dates, yes/no, value maps, N/A codes, item ratings) is converted by convert.py itself,
once per distinct value, and joined back: exact by construction, and cheap where values repeat. A flagged
row is not refused here; the row path converts it again and gives its reasons, or loads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from cxgap.io.chunks import Plan
from cxgap.io.convert import Converted, apply_meaning, blank_mask, convert_column, to_arrow
from cxgap.io.file_scan import Scan
from cxgap.store.models import table_of

PYTHON_SPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
SPACE = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PYTHON_SPACE) + "]"  # str.strip()'s whitespace, in RE2
PLAIN_NUMBER = r"-?[0-9]+(\.[0-9]+)?"  # up to 15 characters: DuckDB and pandas read the same double
RATING = table_of("response_items").columns["perception"]


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _double(value: float) -> str:
    return f"CAST('{float(value)!r}' AS DOUBLE)"


@dataclass
class TypedColumns:
    """The SQL that computes the `typed` table: one value per mapped column and item column, and `bad`."""

    values: list[tuple[str, str]] = field(default_factory=list)  # (output name, SQL)
    bad: list[str] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)


def _blank(v: str) -> str:
    """True where convert.py's blank_mask is: absent, or nothing but whitespace."""
    return f"({v} IS NULL OR regexp_full_match({v}, '{SPACE}*'))"


def _text_rule(v: str, column: sa.Column[object], required: bool) -> tuple[str, str]:
    """Free text as it is; codes and ids trimmed and length-checked (convert_text). A code with whitespace
    at either edge is left to the row path, so SQL never needs to trim."""
    if isinstance(column.type, sa.Text) or not isinstance(column.type, sa.String):
        blank = _blank(v)
        value, bad = f"CASE WHEN {blank} THEN NULL ELSE {v} END", blank if required else "false"
    else:
        value = f"CASE WHEN {v} = '' THEN NULL ELSE {v} END"
        checks = [f"coalesce(regexp_matches({v}, '^{SPACE}|{SPACE}$'), false)"]
        if length := column.type.length:
            checks.append(f"coalesce(strlen({v}) > {length} AND length({v}) > {length}, false)")
        if required:
            checks.append(f"({v} IS NULL OR {v} = '')")
        bad = " OR ".join(checks)
    allowed = column.info.get("allowed")
    if allowed is not None:
        listed = ", ".join(_text(a) for a in allowed)
        bad = f"{bad} OR (({value}) IS NOT NULL AND ({value}) NOT IN ({listed}))"
    return value, bad


def _number_rule(
    v: str,
    column: sa.Column[object],
    required: bool,
    scale: tuple[float, float] | None,
    factor: float | None,
) -> tuple[str, str]:
    """A plain decimal number, through convert_numeric's steps in the same order (factor, source scale,
    conversion, whole numbers, range); anything else is flagged."""
    plain = f"(regexp_full_match({v}, '{PLAIN_NUMBER}') AND strlen({v}) <= 15 AND NOT prefix({v}, '-0'))"
    x = f"CAST({v} AS DOUBLE)"
    checks: list[str] = []
    if factor is not None:
        x = f"({x} * {_double(factor)})"
    info = column.info
    if scale is not None:
        lo, hi = scale
        checks.append(f"{x} < {_double(lo)} OR {x} > {_double(hi)}")
        low = _double(info["min"] * (hi - lo))
        x = f"(({low} + ({x} - {_double(lo)}) * {_double(info['max'] - info['min'])}) / {_double(hi - lo)})"
    integer = isinstance(column.type, sa.Integer)
    if integer:
        checks.append(f"{x} <> floor({x})")
    if "min" in info:
        checks.append(f"{x} < {_double(info['min'])} OR {x} > {_double(info['max'])}")
    elif integer:
        checks.append(f"abs({x}) > {_double(2.0**53)}")
    typed = f"CAST({x} AS BIGINT)" if integer else x
    value = f"CASE WHEN {plain} THEN {typed} END"
    failing = " OR ".join(f"({c})" for c in checks) or "false"
    bad = f"CASE WHEN {plain} THEN {failing} ELSE NOT {_blank(v)} END"
    if required:
        bad = f"({bad}) OR {_blank(v)}"
    return value, bad


def _lookup(
    duck: duckdb.DuckDBPyConnection,
    name: str,
    source: int,
    convert: ConvertDistinct,
) -> str:
    """Convert the column's distinct raw values with convert.py; register them as table `name`."""
    distinct = (
        duck.execute(f"SELECT DISTINCT c{source} AS v FROM raw").arrow().read_all().column("v").to_pylist()
    )
    values, ok = convert(pd.Series(distinct, dtype=object))
    lookup = pa.table({"v": pa.array(distinct, pa.string()), "ok": pa.array(ok, pa.bool_()), "value": values})
    duck.register(name, lookup)
    return f"LEFT JOIN {name} ON raw.c{source} IS NOT DISTINCT FROM {name}.v"


class ConvertDistinct:
    """convert.py's conversion of one mapped or item column, applied to a column of distinct raw values."""

    def __init__(self, plan: Plan, key: str, column: sa.Column[object], item: bool) -> None:
        self.plan, self.key, self.column, self.item = plan, key, column, item

    def __call__(self, raw: pd.Series) -> tuple[pa.Array, list[bool]]:
        mapping, key = self.plan.mapping, self.key
        pre = Converted(values=raw)
        meant = apply_meaning(mapping, key, pre, item=self.item)
        if self.item:
            scale = mapping.item_scales.get(key, mapping.item_scale)
            converted = convert_column(meant, self.column, scale=scale)
        else:
            converted = convert_column(
                meant,
                self.column,
                fmt=mapping.dates.get(key),
                scale=mapping.scales.get(key),
                factor=mapping.factors.get(key),
            )
        failing = set(pre.problems) | set(converted.problems)
        if not self.item and self.plan.needs_value(key):
            failing |= {int(p) for p in blank_mask(meant).to_numpy().nonzero()[0]}
        frame = pd.DataFrame({self.column.name: converted.values.reset_index(drop=True)})
        values = to_arrow(frame, self.column.table).column(0).combine_chunks()
        return values, [pos not in failing for pos in range(len(raw))]


def _judged_in_sql(plan: Plan, name: str) -> bool:
    """Whether a mapped column's conversion is one SQL states exactly (no N/A codes, no value map)."""
    mapping = plan.mapping
    if mapping.na_codes(name) or name in mapping.values:
        return False
    kind = plan.table.columns[name].type
    if isinstance(kind, sa.Boolean | sa.DateTime | sa.Date):
        return False
    return isinstance(kind, sa.String | sa.Integer | sa.Float | sa.Numeric)


def typed_columns(scan: Scan, plan: Plan) -> TypedColumns:
    """The SQL of every mapped column (named as the schema column) and item column (item0, item1, ...)."""
    out = TypedColumns()
    header = scan.header
    for name, source in plan.sources.items():
        column = plan.table.columns[name]
        index = header.index(source)
        required = plan.needs_value(name)
        v = f"raw.c{index}"
        if _judged_in_sql(plan, name):
            if isinstance(column.type, sa.String):
                value, bad = _text_rule(v, column, required)
            else:
                mapping = plan.mapping
                value, bad = _number_rule(
                    v, column, required, mapping.scales.get(name), mapping.factors.get(name)
                )
        else:
            lookup = f"lookup_{len(out.joins)}"
            out.joins.append(_lookup(scan.duck, lookup, index, ConvertDistinct(plan, name, column, False)))
            value, bad = f"{lookup}.value", f"NOT {lookup}.ok"
        out.values.append((name, value))
        out.bad.append(f"coalesce({bad}, true)")
    for number, source in enumerate(plan.mapping.items):
        lookup = f"lookup_{len(out.joins)}"
        convert = ConvertDistinct(plan, source, RATING, True)
        out.joins.append(_lookup(scan.duck, lookup, header.index(source), convert))
        out.values.append((f"item{number}", f"{lookup}.value"))
        out.bad.append(f"NOT coalesce({lookup}.ok, false)")
    return out


def build_typed(scan: Scan, plan: Plan) -> None:
    """Create table `typed` (pos, each typed column, bad) in the scan's database."""
    sql = typed_columns(scan, plan)
    values = "".join(f', {value} AS "{name}"' for name, value in sql.values)
    bad = " OR ".join(sql.bad) or "false"
    scan.duck.execute(
        f"CREATE TABLE typed AS SELECT raw.rowid AS pos{values}, ({bad}) AS bad FROM raw {' '.join(sql.joins)}"
    )
