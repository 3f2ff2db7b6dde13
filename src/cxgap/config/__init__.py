"""`cxgap.toml`: one validated configuration for touchpoints, dimensions, items, storage and thresholds.

A wrong value is reported as one sentence naming the key, the value and what was expected.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from cxgap.config.base import Strict as _Strict
from cxgap.config.health import HealthSettings
from cxgap.config.health import HealthWeight as HealthWeight
from cxgap.config.health import Playbook as Playbook
from cxgap.config.journeys import INCIDENT_TRIGGERS as INCIDENT_TRIGGERS
from cxgap.config.journeys import Incident as Incident
from cxgap.config.journeys import JourneySettings
from cxgap.config.keys import misplaced_key_hint, unknown_key_hint
from cxgap.config.notify import NotifySettings as NotifySettings
from cxgap.config.notify import Webhook as Webhook
from cxgap.config.surveys import SurveySettings as SurveySettings
from cxgap.config.surveys import SurveyTrigger as SurveyTrigger
from cxgap.errors import ConfigError

CONFIG_FILE = "cxgap.toml"
DEFAULT_STORE_URL = "duckdb:///cxgap.duckdb"
SERVQUAL_DIMENSIONS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]


def demo_config() -> dict[str, Any]:
    """The demo company's configuration (templates/demo.toml): its touchpoints, items, themes, case rules,
    incidents and playbooks. It applies to the demo's store only, never as a default for other data."""
    return tomllib.loads(demo_config_text())


def demo_config_text() -> str:
    """The demo company's cxgap.toml, as `cxgap demo` writes it."""
    return resources.files("cxgap").joinpath("templates/demo.toml").read_text(encoding="utf-8")


DEMO_TOUCHPOINTS: list[str] = demo_config()["touchpoints"]
DEMO_ITEMS: dict[str, str] = demo_config()["items"]


class StoreSettings(_Strict):
    """Where the data lives: a DuckDB file (default) or a PostgreSQL server."""

    url: str = Field(DEFAULT_STORE_URL, pattern=r"^(duckdb|postgresql(\+psycopg)?)://")


class WarehouseTable(_Strict):
    """Where one cxgap table lives in the warehouse: a catalog table or a Parquet/Delta folder, with the
    warehouse's own names for the columns it names differently (`columns = {response_id = "id"}`)."""

    table: str | None = Field(None, description="a table in the Spark catalog (`db.name`)")
    path: str | None = Field(None, description="a Parquet or Delta folder (or file)")
    format: Literal["parquet", "delta"] = "parquet"
    columns: dict[str, str] = Field(default_factory=dict, description="cxgap name = the warehouse's name")

    @model_validator(mode="after")
    def _one_place(self) -> WarehouseTable:
        if (self.table is None) == (self.path is None):
            raise ValueError("give exactly one of table or path")
        return self


class EngineSettings(_Strict):
    """Where aggregation runs; empty means the store itself. `pyspark://local[2]` (or a cluster master, as
    `pyspark://spark://host:7077`) runs it on Spark over the tables `[engine.tables]` names, with no copy into
    cxgap's store (which keeps the closed loop)."""

    url: str | None = Field(None, pattern=r"^(duckdb|postgresql(\+psycopg)?|pyspark)://")
    tables: dict[str, str | WarehouseTable] = Field(
        default_factory=dict,
        description="cxgap table = a Parquet/Delta path or a catalog table, or {path|table, format, columns}",
    )
    summaries: str | None = Field(
        None, description="where the warehouse keeps cxgap's summaries (a folder); default: beside the store"
    )
    spark: dict[str, str] = Field(
        default_factory=dict, description="extra Spark configuration (spark.* keys)"
    )
    lake_check_seconds: float = Field(
        60.0,
        ge=0,
        description="how often the dashboard looks at the lake's files again to see new data (a one-off "
        "command reads the lake once); 0: at every request",
    )


class AnalysisSettings(_Strict):
    """Statistical thresholds shared by every analysis."""

    min_n: int = Field(30, ge=2, description="Cells with fewer answers say 'insufficient data'.")
    confidence: float = Field(0.95, gt=0.5, lt=1.0)


class Theme(_Strict):
    """A feedback theme texts are assigned to: what it is about, in words, and the touchpoint it belongs to."""

    description: str = Field(min_length=3)
    keywords: list[str] = Field(default_factory=list)
    touchpoint: str | None = None
    examples: list[str] = Field(default_factory=list, description="texts you labelled with this theme")
    polarity: Literal["complaint", "praise", "either"] | None = Field(
        default=None,
        description="complaint: never given to positive texts; praise: never to negative ones; either: both; "
        "unset: a complaint when the user's own texts' sentiment reads the description as negative",
    )


TRIGGERS = {
    "detractor": "a survey response with NPS at most `at_most` (default 6)",
    "low_csat": "a survey response with CSAT at most `at_most` (default 2)",
    "negative_feedback": "a feedback text with a star rating at most `at_most` (default 2)",
    "unresolved_interaction": "an interaction whose need was not resolved",
}
DEFAULT_ROOT_CAUSES = [
    "staffing",
    "process",
    "system",
    "training",
    "policy",
    "product",
    "third_party",
    "other",
]


class Route(_Strict):
    """Who owns a case: the first route whose touchpoint and segment match (empty matches anything)."""

    touchpoint: str | None = None
    segment: str | None = None
    team: str = Field(min_length=1)
    owner: str | None = None


class CaseRule(_Strict):
    """A rule that opens a case for each record it matches, owned per its routes, due after `due_hours`."""

    when: str = Field(description=f"one of {', '.join(TRIGGERS)}")
    at_most: float | None = None
    touchpoints: list[str] = Field(default_factory=list, description="only these touchpoints (empty: all)")
    due_hours: float = Field(48.0, gt=0)
    lookback_days: int = Field(30, gt=0, description="records older than this open no case")
    routes: list[Route] = Field(default_factory=lambda: [Route(team="cx")], min_length=1)
    group_by_customer: bool = Field(
        True,
        description="a record of a customer who already holds an open case (this rule's or another's) joins "
        "that case as another trigger instead of opening a second case",
    )

    @model_validator(mode="after")
    def _known_trigger(self) -> CaseRule:
        if self.when not in TRIGGERS:
            raise ValueError(f"when = '{self.when}' is not one of {', '.join(TRIGGERS)}")
        return self


class CaseSettings(_Strict):
    """The closed loop: the rules that open cases, the root-cause codes, the API's ingest rate limit."""

    root_causes: list[str] = Field(default_factory=lambda: list(DEFAULT_ROOT_CAUSES), min_length=1)
    rules: dict[str, CaseRule] = Field(
        default_factory=dict, description="none until you write one (the demo's are in templates/demo.toml)"
    )
    ingest_per_minute: int = Field(6000, gt=0, description="webhook requests per token and minute")
    as_of: dt.datetime | None = Field(
        None,
        description="the loop's clock, fixed: lookbacks, deadlines and 'overdue' are judged at this moment "
        "(default: now, or the store's own calendar where it has one, as the demo's does)",
    )


class ServerSettings(_Strict):
    """The web server: how large a request body it accepts (larger ones are refused before they are read)."""

    max_body_bytes: int = Field(5_000_000, gt=0, description="largest request body accepted, in bytes")
    public_aggregates: bool = Field(
        False, description="open aggregate pages and API reads to anyone (a kiosk); never customer-level data"
    )
    session_idle_minutes: int = Field(60, gt=0, description="a browser session ends after this long unused")
    session_hours: int = Field(12, gt=0, description="a browser session ends this long after sign-in")
    refresh_seconds: float = Field(
        30.0, ge=0, description="while data keeps arriving, each view is recomputed at most this often"
    )
    precompute: bool = Field(
        True, description="compute every page's default view in the background after each import"
    )


class CompanySettings(_Strict):
    """The company itself: the currency every money figure is shown in (an ISO 4217 code)."""

    currency: str = Field("EUR", description="ISO 4217 code of money figures, e.g. EUR, USD, GBP")

    @field_validator("currency", mode="before")
    @classmethod
    def _currency_code(cls, value: Any) -> Any:
        code = value.strip().upper() if isinstance(value, str) else value
        if not (isinstance(code, str) and len(code) == 3 and code.isascii() and code.isalpha()):
            raise ValueError(
                f"company.currency = {value!r} is not a three-letter currency code such as EUR, USD or GBP"
            )
        return code


class Settings(_Strict):
    """The whole of `cxgap.toml`."""

    company: CompanySettings = CompanySettings()
    store: StoreSettings = StoreSettings()
    engine: EngineSettings = EngineSettings()
    analysis: AnalysisSettings = AnalysisSettings()
    touchpoints: list[str] = Field(
        default_factory=list,
        description="the journey stages in order; empty: those found in the data (see engine.touchpoints_of)",
    )
    dimensions: list[str] = Field(default_factory=lambda: list(SERVQUAL_DIMENSIONS), min_length=1)
    items: dict[str, str] = Field(
        default_factory=dict, description="item code -> dimension (unlisted items belong to no dimension)"
    )
    themes: dict[str, Theme] = Field(
        default_factory=dict,
        description="none by default: topics are discovered instead (the demo's store gets the demo's)",
    )
    cases: CaseSettings = CaseSettings()
    journeys: JourneySettings = JourneySettings()
    health: HealthSettings = HealthSettings()
    playbooks: dict[str, Playbook] = Field(default_factory=dict)
    server: ServerSettings = ServerSettings()
    notify: NotifySettings = NotifySettings()
    surveys: SurveySettings = SurveySettings()

    @model_validator(mode="after")
    def _items_name_known_dimensions(self) -> Settings:
        for item, dimension in self.items.items():
            if dimension not in self.dimensions:
                raise ValueError(
                    f"items.{item} = '{dimension}' is not one of the dimensions {self.dimensions}"
                )
        if not self.touchpoints:  # taken from the data: nothing to check them against yet
            return self
        for name, theme in self.themes.items():
            if theme.touchpoint is not None and theme.touchpoint not in self.touchpoints:
                raise ValueError(
                    f"themes.{name}.touchpoint = '{theme.touchpoint}' is not one of the touchpoints {self.touchpoints}"
                )
        for name, incident in self.journeys.incidents.items():
            for touchpoint in incident.touchpoints:
                if touchpoint not in self.touchpoints:
                    raise ValueError(
                        f"journeys.incidents.{name} names touchpoint '{touchpoint}', not one of {self.touchpoints}"
                    )
        for name, rule in self.cases.rules.items():
            for touchpoint in rule.touchpoints + [r.touchpoint for r in rule.routes if r.touchpoint]:
                if touchpoint not in self.touchpoints:
                    raise ValueError(
                        f"cases.rules.{name} names touchpoint '{touchpoint}', not one of {self.touchpoints}"
                    )
        for name, trigger in self.surveys.triggers.items():
            for touchpoint in trigger.touchpoints:
                if touchpoint not in self.touchpoints:
                    raise ValueError(
                        f"surveys.triggers.{name} names touchpoint '{touchpoint}', not one of {self.touchpoints}"
                    )
        return self

    @property
    def engine_url(self) -> str:
        """The URL aggregation runs on (the store's unless `[engine] url` is set)."""
        return self.engine.url or self.store.url


def demo_themes() -> dict[str, Theme]:
    """The demo company's themes: for the demo's own store (and tests of it), never for other data."""
    return {name: Theme(**spec) for name, spec in demo_config()["themes"].items()}


def demo_settings(**overrides: Any) -> Settings:
    """The demo company's settings (its configuration over the defaults), with `overrides` on top: a dict
    merged key by key, a section given as settings (`cases=CaseSettings(as_of=...)`) replacing only the keys it
    sets. For the demo's own store, its seeding and the tests of it."""
    base = demo_config()
    for key, value in list(overrides.items()):
        if isinstance(value, BaseModel):  # a section given as settings: the keys it sets replace the demo's
            overrides[key] = {**base.get(key, {}), **value.model_dump(exclude_unset=True)}
    return Settings.model_validate(_merged(base, overrides))


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`base` with `override`'s keys on top, tables merged key by key (other values replaced)."""
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        merged[key] = _merged(old, value) if isinstance(value, dict) and isinstance(old, dict) else value
    return merged


def themes_for(settings: Settings, demo_store: bool) -> dict[str, Theme]:
    """The themes texts are assigned to: those of cxgap.toml's [themes]; without that section, the demo
    company's on the demo's own store and none on any other, so demo configuration never silently
    applies to real data."""
    if "themes" in settings.model_fields_set or not demo_store:
        return dict(settings.themes)
    return demo_themes()


def describe_validation_error(
    error: ValidationError, source: str, model: type[BaseModel] | None = None
) -> str:
    """Turn Pydantic's first error into one sentence: file, key, value, what was expected; given the
    `model` the file was validated against, an unknown key gets the key it seems to mean (or where it
    belongs: a top-level key written under a [section] is the usual slip in TOML)."""
    first = error.errors()[0]
    loc = first["loc"]
    key = ".".join(str(part) for part in loc)
    if first["type"] == "extra_forbidden":
        hint = unknown_key_hint(model, loc)
        return f"{source}: unknown key '{key}'{hint}{'' if hint.endswith('?') else '.'}"
    if first["type"] == "value_error":
        return f"{source}: {first['msg'].removeprefix('Value error, ')}."
    value = first.get("input")
    where = f"key '{key}'" if key else "the file"
    return f"{source}: {where} has value {value!r}, expected {first['msg'].lower()}{misplaced_key_hint(model, loc)}."


def settings_from_dict(data: dict[str, Any], source: str = CONFIG_FILE) -> Settings:
    """Validate a parsed configuration, raising ConfigError with one clear sentence."""
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error, source, Settings)) from None


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax errors into one sentence with the line."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error}).") from None


def _anchored(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A DuckDB store file named by a relative path in a configuration file, or the default store when the
    file names none, lies beside that file (as `cxgap demo` and `cxgap init` leave them), not in whatever
    folder the command runs from: `cxgap status --config other/cxgap.toml` reads other/'s store instead of
    creating an empty one here."""
    store = data.get("store")
    given = store if isinstance(store, dict) else {}
    url = given.get("url", DEFAULT_STORE_URL)
    prefix = "duckdb:///"
    if not isinstance(url, str) or not url.startswith(prefix):
        return data
    path = url[len(prefix) :]
    if not path or path.startswith("/") or path.startswith(":memory:"):
        return data
    return {**data, "store": {**given, "url": f"{prefix}{folder / path}"}}


def load_settings(path: str | Path | None = None) -> Settings:
    """Load `cxgap.toml` (or `$CXGAP_CONFIG`); defaults when there is none. `$CXGAP_STORE_URL` overrides the store."""
    candidate = Path(path or os.environ.get("CXGAP_CONFIG") or CONFIG_FILE)
    if candidate.exists():
        data = _anchored(read_toml(candidate), candidate.resolve().parent)
    elif path is not None:
        raise ConfigError(f"{candidate}: file not found; run `cxgap init` to write a starter.")
    else:
        data = {}
    if url := os.environ.get("CXGAP_STORE_URL"):
        data = {**data, "store": {**data.get("store", {}), "url": url}}
    return settings_from_dict(data, str(candidate))


def starter_config() -> str:
    """The commented starter `cxgap.toml` written by `cxgap init`."""
    return resources.files("cxgap").joinpath("templates/cxgap.toml").read_text(encoding="utf-8")
