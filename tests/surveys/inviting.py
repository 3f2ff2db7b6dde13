"""What the invitation tests share: settings with a local SMTP server, published surveys from the templates,
and customers, contacts and interactions written straight into a store (set-based, so 10,000 are quick)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from cxgap.config import NotifySettings, Settings, StoreSettings, SurveySettings, SurveyTrigger, demo_settings
from cxgap.store import Store, insert_all
from cxgap.surveys.catalog import create_survey, publish
from cxgap.surveys.templates import template

BASE_URL = "https://cx.example.com"
SURVEYS = {  # name -> (template, touchpoint)
    "support-csat": ("csat", "support"),
    "install-ces": ("ces", "installation"),
    "pulse": ("nps", None),
    "beliefs": ("beliefs", None),
}


def settings_for(
    url: str, port: int | None, triggers: dict[str, SurveyTrigger] | None = None, **rules: Any
) -> Settings:
    """Settings on store `url` sending through 127.0.0.1:`port`, with these triggers and rules (no quiet
    hours unless the rules set them)."""
    notify = NotifySettings(
        base_url=BASE_URL,
        smtp_url=f"smtp://127.0.0.1:{port}" if port is not None else None,
        from_address="survey@example.com",
    )
    surveys = SurveySettings(**{"quiet_hours": (0, 0), "triggers": triggers or {}} | rules)
    return demo_settings(store=StoreSettings(url=url), notify=notify, surveys=surveys)


def publish_surveys(store: Store, settings: Settings, *names: str, company: str = "Acme") -> None:
    """Create and publish these surveys of `SURVEYS` (each from its template, branded `company`)."""
    for name in names:
        kind, touchpoint = SURVEYS[name]
        definition = template(kind, settings, name=name, touchpoint=touchpoint)
        definition = definition.model_copy(
            update={"brand": definition.brand.model_copy(update={"company": company})}
        )
        create_survey(store, definition, now=dt.datetime(2026, 1, 1))
        publish(store, name, now=dt.datetime(2026, 1, 1))


def add_customers(store: Store, ids: list[str], churned: set[str] | None = None) -> None:
    """Customers with these ids (those in `churned` have left)."""
    gone = churned or set()
    rows = {"customer_id": ids, "churned": [i in gone for i in ids], "segment": ["consumer"] * len(ids)}
    with store.begin() as conn:
        insert_all(conn, "customers", pa.table(rows))


def add_contacts(store: Store, kind: str, ids: list[str], roles: list[str] | None = None) -> None:
    """A contact per id, at `<id>@example.com` (staff with `roles`, else leaders)."""
    rows = {
        "kind": [kind] * len(ids),
        "recipient_id": ids,
        "email": [address(i) for i in ids],
        "language": ["en"] * len(ids),
        "role": roles or (["leader"] * len(ids) if kind == "staff" else [None] * len(ids)),
        "added_at": [dt.datetime(2026, 1, 1)] * len(ids),
    }
    with store.begin() as conn:
        insert_all(conn, "survey_contacts", pa.table(rows))


def add_interactions(store: Store, rows: list[tuple[str, str, dt.datetime, str]]) -> None:
    """Interactions (id, customer, when, touchpoint), each a call."""
    data = {
        "interaction_id": [r[0] for r in rows],
        "customer_id": [r[1] for r in rows],
        "occurred_at": [r[2] for r in rows],
        "touchpoint": [r[3] for r in rows],
        "kind": ["call"] * len(rows),
    }
    with store.begin() as conn:
        insert_all(conn, "interactions", pa.table(data))


def address(recipient: str) -> str:
    """The test address of a recipient id."""
    return f"{recipient}@example.com"


def invitations(store: Store, where: str = "TRUE", **params: Any) -> list[dict[str, Any]]:
    """The invitation rows matching `where`, oldest first."""
    with store.engine.connect() as conn:
        found = conn.execute(
            sa.text(f"SELECT * FROM survey_invitations WHERE {where} ORDER BY created_at, invitation_id"),
            params,
        )
        return [dict(row) for row in found.mappings()]
