"""The surveys cxgap hosts and every version of their wording. Versions are immutable: saving adds version
n+1, and a published survey keeps asking its `published_version` until it is published again, so every
answer points to the wording that was asked. Status moves draft -> published -> closed -> published.

Every change is one conditional UPDATE, so two people saving at once cannot both win: the second is told
that someone else saved first (`SurveyConflict`), on DuckDB and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.errors import CxgapError, NotFound
from cxgap.store import Store
from cxgap.store.models import table_of
from cxgap.surveys.definition import SurveyDefinition, check_against, parse_definition, to_toml

if TYPE_CHECKING:
    from cxgap.config import Settings

SURVEYS = table_of("surveys")
VERSIONS = table_of("survey_versions")


class SurveyConflict(CxgapError):
    """Someone else changed the survey first (a stale save), or its name is taken."""


class SurveyNotFound(NotFound):
    """No survey of that name, or no such version of it."""


@dataclass(frozen=True)
class SurveyInfo:
    """A survey as the catalog keeps it: its latest version and the version respondents are asked now."""

    name: str
    title: str
    audience: str
    status: str
    version: int
    published_version: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None


@dataclass(frozen=True)
class SurveyVersionInfo:
    """One saved wording of a survey; `published` when it is the one respondents are asked now."""

    name: str
    version: int
    created_at: dt.datetime
    created_by: str | None
    published: bool


def surveys_frame(infos: Sequence[SurveyInfo | SurveyVersionInfo]) -> pd.DataFrame:
    """Surveys (or versions) as a table, one row each."""
    frame = pd.DataFrame([asdict(info) for info in infos])
    if "published_version" in frame:  # a whole number or nothing, never 1.0
        frame["published_version"] = frame["published_version"].astype("Int64")
    return frame


def create_survey(
    store: Store, definition: SurveyDefinition, by: str | None = None, now: dt.datetime | None = None
) -> SurveyInfo:
    """Add a new survey as a draft, its definition as version 1 (SurveyConflict if the name is taken)."""
    at = now or _now()
    row = {
        "name": definition.name,
        "title": definition.text(definition.title, definition.languages[0]),
        "audience": definition.audience,
        "status": "draft",
        "version": 1,
        "published_version": None,
        "created_at": at,
        "updated_at": at,
        "created_by": by,
    }
    taken = SurveyConflict(
        f"There is already a survey named '{definition.name}'; choose another name, or save a new version of it."
    )

    def write(conn: Connection) -> None:
        if conn.execute(sa.select(SURVEYS.c.name).where(SURVEYS.c.name == definition.name)).first():
            raise taken
        conn.execute(SURVEYS.insert(), row)
        conn.execute(VERSIONS.insert(), _version_row(definition, 1, at, by))

    _write(store, write, lambda: taken)
    return SurveyInfo(**row)  # type: ignore[arg-type]


def save_version(
    store: Store,
    definition: SurveyDefinition,
    by: str | None = None,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> SurveyInfo:
    """Save `definition` as the next version of its survey; `expected_version` is the version the editor
    opened (SurveyConflict when another save came first). Saving the latest wording unchanged adds nothing."""
    name, at, text = definition.name, now or _now(), to_toml(definition)
    read = [expected_version or 0]  # the version this save found, for the conflict's sentence

    def write(conn: Connection) -> None:
        current = _info(conn, name)
        read[0] = current.version
        if current.audience != definition.audience:
            raise CxgapError(
                f"Survey {name} asks {current.audience}; its audience cannot change (create a new survey instead)."
            )
        if expected_version is not None and expected_version != current.version:
            raise _stale(name, current.version)
        latest = conn.execute(
            sa.select(VERSIONS.c.definition).where(
                VERSIONS.c.name == name, VERSIONS.c.version == current.version
            )
        ).scalar_one()
        if latest == text:
            return
        done = conn.execute(
            SURVEYS.update()
            .where(SURVEYS.c.name == name, SURVEYS.c.version == current.version)
            .values(
                version=current.version + 1,
                title=definition.text(definition.title, definition.languages[0]),
                updated_at=at,
            )
            .returning(SURVEYS.c.version)  # DuckDB gives no rowcount
        )
        if done.first() is None:
            raise _stale(name, current.version + 1)
        conn.execute(VERSIONS.insert(), _version_row(definition, current.version + 1, at, by))

    _write(store, write, lambda: _stale(name, read[0] + 1))
    return get_survey(store, name)


def publish(
    store: Store, name: str, now: dt.datetime | None = None, settings: Settings | None = None
) -> SurveyInfo:
    """Start asking the survey's latest version (a draft, a closed survey, or a published one whose wording
    changed); with `settings`, first check it against cxgap.toml's touchpoints and items."""
    if settings is not None:
        definition, version = definition_of(store, name, get_survey(store, name).version)
        check_against(definition, settings, f"survey {name} version {version}")

    def write(conn: Connection) -> None:
        current = _info(conn, name)
        conn.execute(
            SURVEYS.update()
            .where(SURVEYS.c.name == name)
            .values(status="published", published_version=current.version, updated_at=now or _now())
        )

    _write(
        store,
        write,
        lambda: SurveyConflict(f"Survey {name} changed while it was being published; try again."),
    )
    return get_survey(store, name)


def close(store: Store, name: str, now: dt.datetime | None = None) -> SurveyInfo:
    """Stop asking a published survey: its links stop working, its answers stay; publish it to reopen."""

    def write(conn: Connection) -> None:
        current = _info(conn, name)
        if current.status == "draft":
            raise CxgapError(f"Survey {name} is a draft that was never published; there is nothing to close.")
        conn.execute(
            SURVEYS.update()
            .where(SURVEYS.c.name == name, SURVEYS.c.status == "published")
            .values(status="closed", updated_at=now or _now())
        )

    _write(
        store, write, lambda: SurveyConflict(f"Survey {name} changed while it was being closed; try again.")
    )
    return get_survey(store, name)


def list_surveys(store: Store) -> list[SurveyInfo]:
    """Every survey, by name."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(SURVEYS).order_by(SURVEYS.c.name)).mappings()
        return [SurveyInfo(**row) for row in rows]


def get_survey(store: Store, name: str) -> SurveyInfo:
    """One survey (SurveyNotFound, a NotFound, if there is none of that name)."""
    with store.engine.connect() as conn:
        return _info(conn, name)


def definition_of(store: Store, name: str, version: int | None = None) -> tuple[SurveyDefinition, int]:
    """A survey's definition and its version: `version`, else the published one, else the latest."""
    with store.engine.connect() as conn:
        info = _info(conn, name)
        chosen = version if version is not None else info.published_version or info.version
        text = conn.execute(
            sa.select(VERSIONS.c.definition).where(VERSIONS.c.name == name, VERSIONS.c.version == chosen)
        ).scalar_one_or_none()
    if text is None:
        raise SurveyNotFound(f"Survey {name} has no version {chosen}; it has versions 1 to {info.version}.")
    return _parsed(text, f"survey {name} version {chosen}"), chosen


def versions(store: Store, name: str) -> list[SurveyVersionInfo]:
    """Every saved version of a survey, oldest first."""
    with store.engine.connect() as conn:
        info = _info(conn, name)
        rows = conn.execute(
            sa.select(VERSIONS.c.name, VERSIONS.c.version, VERSIONS.c.created_at, VERSIONS.c.created_by)
            .where(VERSIONS.c.name == name)
            .order_by(VERSIONS.c.version)
        ).mappings()
        return [
            SurveyVersionInfo(
                **row, published=info.status == "published" and row["version"] == info.published_version
            )
            for row in rows
        ]


@functools.lru_cache(maxsize=256)
def _parsed(text: str, source: str) -> SurveyDefinition:
    """A stored definition, read once per process: versions never change, so their text is the key."""
    return parse_definition(text, source)


def _info(conn: Connection, name: str) -> SurveyInfo:
    row = conn.execute(sa.select(SURVEYS).where(SURVEYS.c.name == name)).mappings().first()
    if row is None:
        raise SurveyNotFound(f"There is no survey named '{name}' (`cxgap surveys list` shows them).")
    return SurveyInfo(**row)


def _version_row(
    definition: SurveyDefinition, version: int, at: dt.datetime, by: str | None
) -> dict[str, Any]:
    return {
        "name": definition.name,
        "version": version,
        "definition": to_toml(definition),
        "created_at": at,
        "created_by": by,
    }


def _stale(name: str, version: int) -> SurveyConflict:
    return SurveyConflict(f"Someone else saved version {version} of survey {name} since you opened it.")


def _write(store: Store, write: Callable[[Connection], None], conflict: Callable[[], SurveyConflict]) -> None:
    """Run `write` in one transaction; a write-write conflict or a duplicate key (another session changed
    the same row first) becomes `conflict`."""
    try:
        with store.begin() as conn:
            write(conn)
    except sa.exc.IntegrityError:
        raise conflict() from None
    except sa.exc.DBAPIError as error:
        said = str(error.orig).lower()
        if "conflict" in said or "deadlock" in said or "could not serialize" in said:
            raise conflict() from None
        raise


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
