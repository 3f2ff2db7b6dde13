"""Mapping files: how one source's columns become a cxgap table's columns.

A mapping is TOML. It names the target table, how to read the file, which source column feeds each
schema column, and the explicit conversions (N/A codes, value maps, date formats, scale conversion), for
schema columns and [items] source columns alike. A preset (`preset = "qualtrics"`) supplies defaults for a
common export; the user's own keys win.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cxgap.config import describe_validation_error, read_toml
from cxgap.errors import ConfigError
from cxgap.store.models import DATA_TABLES, table_of

Scalar = str | int | float | bool
Code = StrictStr | StrictInt | StrictFloat
"""An N/A code: text (matched case-insensitively) or a number (matched numerically: 0, "0" and "0.0" alike)."""
Scale = tuple[float, float]
PRESETS = ("qualtrics", "survey", "zendesk")
ITEM_MEASURES = ("perception", "expectation", "importance")
IMPORTABLE = tuple(m.__tablename__ for m in DATA_TABLES if m.__tablename__ != "response_items")


class ItemColumn(BaseModel):
    """One wide survey column holding one item's rating (stored in long form in response_items)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str = Field(min_length=1, max_length=64)
    measure: Literal["perception", "expectation", "importance"] = "perception"


class Mapping(BaseModel):
    """A validated mapping: source file -> one cxgap table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    preset: str | None = None
    format: Literal["csv", "jsonl", "parquet"] | None = None
    delimiter: str = Field(",", min_length=1, max_length=1)
    encoding: str = "utf-8"
    header_rows: int = Field(
        1, ge=1, le=20, description="Rows at the top that form the header (Qualtrics: 3)."
    )
    max_row_bytes: int = Field(1_000_000, ge=1_000)
    columns: dict[str, str | list[str]] = Field(
        default_factory=dict, description="schema column -> source column (or candidates)"
    )
    optional_columns: dict[str, str | list[str]] = Field(
        default_factory=dict, description="as columns, used only when present"
    )
    constants: dict[str, Scalar] = Field(default_factory=dict)
    values: dict[str, dict[str, Scalar | None]] = Field(
        default_factory=dict, description="column (schema or [items] source) -> value map"
    )
    unlisted: dict[str, Literal["refuse", "keep"]] = Field(
        default_factory=dict, description="column -> what a value its map does not list does"
    )
    na: dict[str, list[Code]] = Field(
        default_factory=dict, description="column (schema or [items] source) -> N/A codes, stored empty"
    )
    item_na: list[Code] = Field(default_factory=list, description="N/A codes of every [items] column")
    dates: dict[str, str] = Field(default_factory=dict, description="schema column -> strptime format")
    scales: dict[str, Scale] = Field(default_factory=dict, description="schema column -> source scale")
    factors: dict[str, float] = Field(default_factory=dict, description="schema column -> multiplier (units)")
    items: dict[str, ItemColumn] = Field(default_factory=dict, description="source column -> item rating")
    item_scale: Scale | None = None
    item_scales: dict[str, Scale] = Field(
        default_factory=dict, description="[items] source column -> its own source scale"
    )
    on_existing: Literal["skip", "replace"] = "skip"

    @field_validator("table")
    @classmethod
    def _known_table(cls, table: str) -> str:
        if table not in IMPORTABLE:
            raise ValueError(f"table = '{table}' is not one of {', '.join(IMPORTABLE)}")
        return table

    @field_validator("na", "item_na", mode="before")
    @classmethod
    def _codes(cls, value: Any, info: ValidationInfo) -> Any:
        """N/A codes are lists of text or numbers; anything else is one sentence naming its key."""
        if info.field_name == "na" and not isinstance(value, dict):
            return value  # not a table: Pydantic's own sentence
        named = (
            [(f"na.{c}", v) for c, v in value.items()] if info.field_name == "na" else [("item_na", value)]
        )
        for key, codes in named:
            if not isinstance(codes, list) or not all(
                isinstance(c, str | int | float) and not isinstance(c, bool) for c in codes
            ):
                raise ValueError(
                    f'{key} = {codes!r} is not a list of N/A codes (text or numbers, e.g. [0, "N/A"])'
                )
        return value

    @model_validator(mode="after")
    def _known_columns(self) -> Mapping:
        table = table_of(self.table)
        known = {c.name for c in table.columns} - {"batch_id"}
        if self.items and self.table != "responses":
            raise ValueError("[items] can only be used when table = 'responses'")
        for section in ("columns", "optional_columns", "constants", "dates", "scales", "factors"):
            for column in getattr(self, section):
                if column not in known:
                    raise ValueError(
                        f"[{section}] names '{column}', which is not a column of {self.table} ({', '.join(sorted(known))})"
                    )
        self._check_meaning()
        self._check_scales()
        return self

    def _check_meaning(self) -> None:
        """[values], [unlisted] and [na] name schema or [items] columns; [unlisted] only columns with a
        value map; N/A codes only columns that may be empty; [item_scales] only [items] columns."""
        table = table_of(self.table)
        known = {c.name for c in table.columns} - {"batch_id"}
        for section in ("values", "unlisted", "na"):
            for column in getattr(self, section):
                if column not in known and column not in self.items:
                    raise ValueError(
                        f"[{section}] names '{column}', which is neither a column of {self.table} "
                        f"({', '.join(sorted(known))}) nor an [items] source column"
                    )
        for column in self.unlisted:
            if column not in self.values:
                raise ValueError(f"unlisted.{column} is set, but there is no value map [values.{column}]")
        for column in self.na:
            if column in known and not table.columns[column].nullable:
                raise ValueError(
                    f"na.{column}: {self.table}.{column} needs a value in every row, so it cannot have N/A codes"
                )
        for column in self.item_scales:
            if column not in self.items:
                raise ValueError(f"item_scales names '{column}', which is not an [items] source column")

    def _check_scales(self) -> None:
        """Every source scale goes from low to high and converts onto a column that has a scale; a whole-number
        column (responses.nps) takes only a whole scale with as many points, so that nothing is rounded."""
        table = table_of(self.table)
        named = [(f"scales.{c}", s, table.columns[c]) for c, s in self.scales.items()]
        rating = table_of("response_items").columns["perception"]
        named += [(f"item_scales.{c}", s, rating) for c, s in self.item_scales.items()]
        named += [("item_scale", self.item_scale, rating)] if self.item_scale else []
        for key, (lo, hi), column in named:
            if not lo < hi:
                raise ValueError(f"{key} = [{lo:g}, {hi:g}] must go from low to high")
            info = column.info
            if "min" not in info:
                raise ValueError(f"{key}: {column.table.name}.{column.name} has no scale to convert to")
            points = info["max"] - info["min"]
            if isinstance(column.type, sa.Integer) and not (
                lo % 1 == 0 and hi % 1 == 0 and hi - lo == points
            ):
                raise ValueError(
                    f"{key} = [{lo:g}, {hi:g}] does not convert to whole numbers "
                    f"{info['min']:g}-{info['max']:g}; {column.table.name}.{column.name} takes a whole scale of "
                    f"{points + 1:g} points, e.g. [{info['min'] + 1:g}, {info['max'] + 1:g}]"
                )

    def na_codes(self, column: str, item: bool = False) -> list[Code]:
        """The N/A codes of a schema column or (`item`) an [items] source column: its own under [na], plus
        `item_na` for an [items] column."""
        return [*self.na.get(column, []), *(self.item_na if item else [])]

    def source_for(self, column: str, header: list[str]) -> str | None:
        """The source column that feeds a schema column in a file with this header (None: not mapped/present)."""
        for section in (self.columns, self.optional_columns):
            spec = section.get(column)
            if spec is None:
                continue
            for candidate in [spec] if isinstance(spec, str) else spec:
                if candidate in header:
                    return candidate
        return None


def mapping_toml(mapping: Mapping) -> str:
    """The mapping as TOML, as an import batch records it: every key that differs from its default (scales
    included), so the batch says how its values were read."""
    data = mapping.model_dump(mode="json", exclude_defaults=True)
    data["values"] = {
        column: {value: "" if to is None else to for value, to in values.items()}
        for column, values in data.get("values", {}).items()
    }
    return tomli_w.dumps({k: v for k, v in data.items() if v != {}})


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def preset(name: str) -> dict[str, Any]:
    """A preset's settings as a dict (see io/presets/*.toml)."""
    if name not in PRESETS:
        raise ConfigError(f"preset = '{name}' is not one of {', '.join(PRESETS)}.")
    text = resources.files("cxgap.io").joinpath(f"presets/{name}.toml").read_text(encoding="utf-8")
    import tomllib

    return tomllib.loads(text)


def mapping_from_dict(data: dict[str, Any], source: str = "mapping") -> Mapping:
    """Validate a mapping dict, merging its preset first; errors name the file, key and value."""
    if name := data.get("preset"):
        if not isinstance(name, str):
            raise ConfigError(
                f"{source}: key 'preset' has value {name!r}, expected one of {', '.join(PRESETS)}."
            )
        data = _deep_merge(preset(name), data)
    try:
        return Mapping.model_validate(data)
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error, source, Mapping)) from None


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping file."""
    path = Path(path)
    return mapping_from_dict(read_toml(path), str(path))
