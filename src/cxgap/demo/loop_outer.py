"""The demo's outer loop and playbooks: systemic issues raised from its recurring root causes, and the
configured playbooks run at past dates of its calendar.

Issues: the largest patterns (`find_patterns`) become up to three issues: one acting, whose action took
effect about three months before the clock, with the gap it should close (`suggest_gap`); one done; one
just raised. What the effect measures on the demo, honestly: the simulation plants no improvement after any
action date (cxgap.demo.truth has none), so the issue's effect shows the gap before and after a date at
which nothing changed in the data: an honest "did not change significantly" (within noise, and the
emerging app log-in surge of September 2025 moves the app gaps around that time), never a planted success.

Playbooks: the customers are scored as they stood at each run date. The full churn model
(`cxgap.churn.store_risk`) takes about 50 s to fit at 20,000 customers and scores only at the data's end,
so the demo scores with the health model calibrated on what was known at the run date (customers one
horizon earlier and who of them churned since): its churn probability is the playbooks' risk.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from cxgap import cases
from cxgap.cases.systemic import IssueRecord, Pattern
from cxgap.churn.data import Moment, store_snapshots
from cxgap.churn.health import calibrate, health_model
from cxgap.config import Settings
from cxgap.engine import Engine
from cxgap.gaps import analyze
from cxgap.playbooks import run_playbooks
from cxgap.store import Store

ISSUE_ACTIONS = {
    "staffing": "Add two engineers to the installation rota and stop overbooking morning slots",
    "training": "Coach agents on the five most common faults and add a fault-finding checklist",
    "process": "One owner per customer request; merge duplicate tickets automatically",
    "system": "Fix the invoice run that repeats charges and refund affected customers",
    "product": "Release the app log-in fix and monitor sign-in failures daily",
    "policy": "Call back within two hours instead of 24",
    "third_party": "Escalation path with the wholesale network provider",
    "other": "Review the cases together and agree an improvement",
}


def scores_at(engine: Engine, settings: Settings, at: dt.datetime) -> pd.DataFrame:
    """The customers active at `at` with their health and churn risk as known then (the health model
    calibrated on the customers one horizon earlier and who of them churned by `at`)."""
    horizon = settings.health.horizon_days
    training, current = store_snapshots(
        engine, settings, [Moment(at - dt.timedelta(days=horizon)), Moment(at)], horizon
    )
    model = health_model(training.features, settings.health.components)
    calibrate(model, model.scores(training.features), training.churned)
    health = model.scores(current.features)
    return pd.DataFrame(
        {
            "customer_id": current.ids,
            "segment": current.segment,
            "risk": model.churn_probability(health),
            "health": health,
            "revenue": current.revenue,
            "reasons": "",
        }
    )


def run_demo_playbooks(store: Store, engine: Engine, settings: Settings, at: dt.datetime) -> int:
    """Run the configured playbooks at `at` on the customers as scored then; the cases opened."""
    if not settings.playbooks:
        return 0
    run = run_playbooks(store, scores_at(engine, settings, at), settings, at=at)
    return sum(o.opened for o in run.outcomes)


def _team_of(store: Store, pattern: Pattern) -> str | None:
    """The team holding most of the pattern's cases."""
    params = {"cause": pattern.root_cause, "tp": pattern.touchpoint}
    where = "root_cause = :cause AND " + ("touchpoint = :tp" if pattern.touchpoint else "touchpoint IS NULL")
    sql = f"SELECT team FROM cases WHERE {where} GROUP BY team ORDER BY COUNT(*) DESC, team LIMIT 1"
    with store.engine.connect() as conn:
        team = conn.execute(sa.text(sql), params).scalar()
    return str(team) if team is not None else None


def raise_demo_issues(
    store: Store, engine: Engine, settings: Settings, leads: dict[str, str], clock: dt.datetime
) -> list[IssueRecord]:
    """Raise up to three issues from the largest patterns, 12 minutes before the clock: the first acting
    (its action took effect 13 weeks before), the second done, the third just raised."""
    found = cases.find_patterns(store, min_cases=3)
    patterns = [p for p in found if p.root_cause != "other"][:3]  # 'other' names no cause to act on
    if not patterns:
        return []
    report = analyze(engine, settings)
    raised = clock - dt.timedelta(minutes=12)
    root_causes = tuple(settings.cases.root_causes)
    out = []
    for i, pattern in enumerate(patterns):
        team = pattern.touchpoint if pattern.touchpoint in leads else _team_of(store, pattern)
        owner = leads.get(team or "", "cleo")
        gap = cases.suggest_gap(report, pattern.touchpoint)
        gap_kind, gap_subject = (gap.kind, gap.subject) if gap is not None else (None, None)
        issue = cases.raise_issue(
            store,
            "cleo",
            root_cause=pattern.root_cause,
            touchpoint=pattern.touchpoint,
            owner=owner,
            team=team,
            root_causes=root_causes,
            now=raised,
        )
        if i < 2:
            issue = cases.plan_action(
                store,
                issue.issue_id,
                owner,
                action=ISSUE_ACTIONS.get(pattern.root_cause, ISSUE_ACTIONS["other"]),
                action_at=clock - dt.timedelta(weeks=13 if i == 0 else 6),
                gap_kind=gap_kind,
                gap_subject=gap_subject,
                now=raised + dt.timedelta(minutes=2),
            )
        if i == 1:
            issue = cases.finish_issue(store, issue.issue_id, owner, now=raised + dt.timedelta(minutes=4))
        out.append(issue)
    return out
