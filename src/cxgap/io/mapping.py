"""Mapping files: how one source's columns become a cxgap table's columns.

A mapping is TOML. It names the target table, how to read the file, which source column feeds each
schema column, and the explicit conversions (value maps, date formats, scale conversion). A preset
(`preset = "qualtrics"`) supplies defaults for a common export; the user's own keys win.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cxgap.config import describe_validation_error, read_toml
from cxgap.errors import ConfigError
from cxgap.store.models import DATA_TABLES, table_of

Scalar = str | int | float | bool
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
    values: dict[str, dict[str, Scalar | None]] = Field(default_factory=dict)
    dates: dict[str, str] = Field(default_factory=dict, description="schema column -> strptime format")
    scales: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="schema column -> source scale"
    )
    factors: dict[str, float] = Field(default_factory=dict, description="schema column -> multiplier (units)")
    items: dict[str, ItemColumn] = Field(default_factory=dict, description="source column -> item rating")
    item_scale: tuple[float, float] | None = None
    on_existing: Literal["skip", "replace"] = "skip"

    @field_validator("table")
    @classmethod
    def _known_table(cls, table: str) -> str:
        if table not in IMPORTABLE:
            raise ValueError(f"table = '{table}' is not one of {', '.join(IMPORTABLE)}")
        return table

    @model_validator(mode="after")
    def _known_columns(self) -> Mapping:
        known = {c.name for c in table_of(self.table).columns} - {"batch_id"}
        for section in ("columns", "optional_columns", "constants", "values", "dates", "scales", "factors"):
            for column in getattr(self, section):
                if column not in known:
                    raise ValueError(
                        f"[{section}] names '{column}', which is not a column of {self.table} ({', '.join(sorted(known))})"
                    )
        for column, (lo, hi) in self.scales.items():
            if not lo < hi:
                raise ValueError(f"scales.{column} = [{lo}, {hi}] must go from low to high")
        if self.items and self.table != "responses":
            raise ValueError("[items] can only be used when table = 'responses'")
        return self

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
        raise ConfigError(describe_validation_error(error, source)) from None


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping file."""
    path = Path(path)
    return mapping_from_dict(read_toml(path), str(path))
