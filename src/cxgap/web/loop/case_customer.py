"""The customer behind a case, as the case page shows them: their timeline (the customer page's, from
`cxgap.records`), their other open cases and where their churn risk is filled in. A team member or lead sees
only their own team's cases in both; a link to the full customer page is given to those who may open it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from cxgap.access import Principal
from cxgap.api.auth import sees_customers, team_cases_elsewhere
from cxgap.api.dashboard import Dashboard
from cxgap.cases.triggers import customer_cases
from cxgap.cases.workflow import CaseRecord
from cxgap.errors import NotFound
from cxgap.records import CustomerRecord, customer_record
from cxgap.web.loop.shown import when

RECENT = 25  # the timeline's latest events shown on a case page; the customer page has them all


def customer_part(dashboard: Dashboard, who: Principal, record: CaseRecord) -> dict[str, Any] | None:
    """The customer's latest events (newest first), every record of theirs by id (what a trigger points
    at), their other open cases, the link to their page where this person may open it, the address of
    their risk part and, once the risk computation has answered, their record with its risk (`known`, shown
    at once); None when the case names no customer."""
    customer_id = record.customer_id
    if not customer_id:
        return None
    hidden = team_cases_elsewhere(dashboard.store, customer_id, who.scope)
    found: CustomerRecord | None = None
    known = dashboard.risk_known()  # shown at once when answered; else htmx fills it in when it is
    try:
        found = customer_record(dashboard.engine, dashboard.settings, customer_id, known)
        timeline = [e for e in found.events if not (e.source == "case" and e.record_id in hidden)]
    except NotFound:  # a case whose customer has no other record in the store
        timeline = []
    others = [
        c
        for c in customer_cases(dashboard.store, customer_id, scope=who.scope)
        if c.case_id != record.case_id
    ]
    here = quote(customer_id, safe="")
    return {
        "customer_id": customer_id,
        "link": f"/customers/{here}" if sees_customers(who) else None,
        "events": [
            {"event": e, "at": when(e.at), "incidents": ", ".join(e.incidents)}
            for e in reversed(timeline[-RECENT:])
        ],
        "total": len(timeline),
        "records": {e.record_id: e for e in timeline if e.source != "case"},
        "others": [{"case": c, "href": f"/cases/{quote(c.case_id, safe='')}"} for c in others],
        "risk": f"/cases/{quote(record.case_id, safe='')}/risk",
        "known": found if found is not None and known is not None else None,
    }
