"""Emerging-issue alerts for notifications, at the cost of one text analysis per change of the data.

An alert can only appear when texts arrive (an import or an ingest adds a batch) or the themes change, so
the alerts found are kept in `store_meta` under the store's version (batches imported, the last one's end)
and the themes' fingerprint, and a run between imports reads them back instead of analysing anything. When
the data did change, the analysis is the text page's own (`analyze_text` on the same deterministic sample
of at most 3,000 texts, no topic discovery), and its embeddings come from the store's cache
(`text_embeddings`): only texts never seen before are embedded. So a person is told of exactly the alerts
the text page shows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from cxgap.config import Settings
from cxgap.errors import CxgapError
from cxgap.store import Store
from cxgap.store.kept import store_version

log = logging.getLogger(__name__)
KEY = "notify_alerts"
ALERT_SAMPLE = 3_000  # the text page's sample (cxgap.api.dashboard.TEXT_SAMPLE): the same alerts
PERIOD_DAYS = {"day": 1, "week": 7}


@dataclass(frozen=True)
class AlertFacts:
    """An emerging-issue alert as kept: its theme, kind, period and the sentence the text page shows."""

    theme: str
    kind: str
    granularity: str
    period: str  # the period's first day, ISO
    sentence: str

    @property
    def ends(self) -> dt.datetime:
        """The end of the alert's period (when it became known at the earliest)."""
        start = dt.datetime.fromisoformat(self.period)
        return start + dt.timedelta(days=PERIOD_DAYS.get(self.granularity, 7))

    @property
    def key(self) -> str:
        """Which occurrence it is: theme, kind and period."""
        return f"{self.theme}|{self.kind}|{self.granularity}|{self.period}"


def data_version(store: Store, settings: Settings) -> str:
    """The imports (and batches taken back out) so far, the last one's end and the themes' fingerprint:
    alerts change only with these."""
    count, last = store_version(store)  # imports and batches taken back out
    themes = json.dumps({k: v.model_dump() for k, v in settings.themes.items()}, sort_keys=True)
    return f"{count}|{last}|{hashlib.sha256(themes.encode()).hexdigest()[:16]}"


def _kept(store: Store) -> dict[str, object] | None:
    with store.engine.connect() as conn:
        value = conn.execute(sa.text("SELECT value FROM store_meta WHERE name = :n"), {"n": KEY}).scalar()
    return json.loads(value) if value else None


def _keep(conn: sa.Connection, version: str, alerts: list[AlertFacts]) -> None:
    value = json.dumps({"version": version, "alerts": [asdict(a) for a in alerts]})
    conn.execute(
        sa.text(
            "INSERT INTO store_meta (name, value) VALUES (:n, :v) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
        ),
        {"n": KEY, "v": value},
    )


def _has_texts(store: Store) -> bool:
    sql = (
        "SELECT (SELECT count(*) FROM feedback WHERE text IS NOT NULL) + "
        "(SELECT count(*) FROM responses WHERE comment IS NOT NULL)"
    )
    with store.engine.connect() as conn:
        return bool(conn.execute(sa.text(sql)).scalar())


def _analyse(store: Store, settings: Settings) -> list[AlertFacts]:
    """The text page's alerts, computed now (embeddings from the cache)."""
    from cxgap.engine import Engine
    from cxgap.text.service import analyze_text

    if not _has_texts(store):
        return []
    engine = Engine(store)
    try:
        report = analyze_text(engine, settings, discover_topics=False, max_texts=ALERT_SAMPLE)
    except CxgapError as error:  # too little text to analyse says so in words; no alert then
        log.info("no emerging-issue check for notifications: %s", error)
        return []
    finally:
        engine.close()
    return [
        AlertFacts(a.theme, a.kind, a.granularity, a.period.date().isoformat(), a.sentence())
        for a in report.alerts
    ]


@dataclass(frozen=True)
class Alerts:
    """The alerts of the store's current data, and whether they had to be computed on this run."""

    alerts: tuple[AlertFacts, ...]
    computed: bool


def current_alerts(store: Store, settings: Settings) -> tuple[Alerts, str]:
    """The current data's alerts, read back when kept for this version, else computed; and the version
    (the caller keeps newly computed alerts with `keep_alerts` inside its own write)."""
    version = data_version(store, settings)
    kept = _kept(store)
    if kept is not None and kept.get("version") == version:
        listed = kept.get("alerts")
        assert isinstance(listed, list)
        return Alerts(tuple(AlertFacts(**a) for a in listed), False), version
    return Alerts(tuple(_analyse(store, settings)), True), version


def keep_alerts(conn: sa.Connection, version: str, alerts: Alerts) -> None:
    """Keep freshly computed alerts under the data's version (nothing to do when they were read back)."""
    if alerts.computed:
        _keep(conn, version, list(alerts.alerts))
