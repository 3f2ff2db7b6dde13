"""The team lead's view: the team's accountability and its monthly trend, who holds what, and the team's
playbook cases with each playbook's measured effect against its holdout.

A team lead or member sees their own team only (another team's page is refused); analysts, admins and
viewers pick any team. Every figure comes from `cases.accountability` at the loop's clock, so the page and
the API say the same; nothing on this page changes anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap import cases
from cxgap.access import TEAM_ROLES, Forbidden, Principal
from cxgap.api.auth import User
from cxgap.api.dashboard import Dashboard
from cxgap.api.routes import Board
from cxgap.cases.clock import loop_now
from cxgap.errors import CxgapError
from cxgap.experiments import ExperimentResult
from cxgap.playbooks import playbook_effect
from cxgap.report.effect_chart import accountability_trend
from cxgap.stats import Estimate
from cxgap.web.loop.page import loop_page
from cxgap.web.pages.chart_view import chart

router = APIRouter()
OPEN_STATUSES = ("open", "in_progress")


def share(estimate: Estimate | None) -> str:
    """'82% [79%, 85%], n = 640', or why there is no number."""
    if estimate is None:
        return "too few cases to say"
    return (
        f"{100 * estimate.value:.0f}% [{100 * estimate.low:.0f}%, {100 * estimate.high:.0f}%], "
        f"n = {estimate.n:,}"
    )


def hours(pair: tuple[float | None, float | None]) -> str:
    """'median 5.2 h, 90th percentile 30.1 h', or '–' when no case got that far."""
    median, p90 = pair
    if median is None:
        return "–"
    return f"median {median:.1f} h, 90th percentile {p90 or median:.1f} h"


def team_for(who: Principal, asked: str | None, teams: list[str]) -> str | None:
    """Whose figures this person sees: a team lead or member their own team (asking for another is
    refused), everyone else the team they picked, or the first team with cases."""
    if who.role in TEAM_ROLES:
        if asked and asked != who.team:
            raise Forbidden(f"You see only your own team's figures ({who.team}).")
        return who.team
    if asked:
        return asked
    return teams[0] if teams else None


@dataclass(frozen=True)
class Holder:
    """One owner's open work in the team: open cases, and how many of them are overdue."""

    owner: str
    open: int
    overdue: int


def holders(dashboard: Dashboard, team: str, now: dt.datetime) -> list[Holder]:
    """Who holds what: the team's open and in-progress cases per owner (unassigned last), most first."""
    counts: dict[str, list[int]] = {}
    for status in OPEN_STATUSES:
        for record in cases.list_cases(dashboard.store, team=team, status=status, limit=1_000_000):
            held = counts.setdefault(record.owner or "", [0, 0])
            held[0] += 1
            held[1] += int(record.overdue(now))
    found = [Holder(owner or "unassigned", n, late) for owner, (n, late) in counts.items()]
    return sorted(found, key=lambda h: (h.owner == "unassigned", -h.open, h.owner))


def effect_words(result: ExperimentResult) -> str:
    """The playbook's effect in one sentence with its interval and decision."""
    d = result.difference
    return (
        f"{result.metric}: treated {result.treatment.value:.3g} against holdout {result.control.value:.3g}, "
        f"difference {d.value:+.3g} [{d.low:+.3g}, {d.high:+.3g}] (n = {result.treatment.n:,} and "
        f"{result.control.n:,}); {result.decision}: {result.reason}."
    )


def playbooks(dashboard: Dashboard, team: str, now: dt.datetime) -> list[dict[str, Any]]:
    """The team's playbooks: their cases (acted on, overdue) and the effect against the holdout."""
    settings = dashboard.settings
    a = settings.analysis
    by_rule = cases.accountability(
        dashboard.engine, "rule", team=team, now=now, min_n=a.min_n, confidence=a.confidence
    )
    found = {g.group: g for g in by_rule.groups}
    out = []
    for name, playbook in settings.playbooks.items():
        if playbook.team != team:
            continue
        try:
            effect = effect_words(
                playbook_effect(dashboard.store, dashboard.engine, name, "churn", a.min_n, a.confidence)
            )
        except CxgapError as error:
            effect = str(error)
        out.append({"name": name, "playbook": playbook, "group": found.get(name), "effect": effect})
    return out


def team_context(dashboard: Dashboard, team: str, now: dt.datetime) -> dict[str, Any]:
    """Everything the team page shows for one team."""
    a = dashboard.settings.analysis
    report = cases.accountability(
        dashboard.engine, "team", team=team, now=now, min_n=a.min_n, confidence=a.confidence
    )
    summary = next((g for g in report.groups if g.group == team), None)
    months = cases.accountability(
        dashboard.engine, "month", team=team, now=now, min_n=a.min_n, confidence=a.confidence
    )
    spec = accountability_trend(months, f"Cases of team {team} acted on, by month opened")
    finding = (
        "Share of the cases opened each month that someone acted on, with 95% intervals; months with "
        f"fewer than {a.min_n} cases are in the table only."
        if spec
        else f"No month has {a.min_n} cases of team {team} yet, so no monthly share is drawn."
    )
    return {
        "summary": summary,
        "trend": chart(spec, finding),
        "holders": holders(dashboard, team, now),
        "playbooks": playbooks(dashboard, team, now),
    }


@router.get("/team", response_class=HTMLResponse)
def team_page(request: Request, dashboard: Board, who: User, team: str | None = None) -> HTMLResponse:
    """The team's accountability, its trend, who holds what and its playbooks (a team lead's own team)."""
    settings = dashboard.settings
    now = loop_now(dashboard.store, settings)
    every = cases.accountability(dashboard.engine, "team", now=now, min_n=settings.analysis.min_n)
    routed = {r.team for rule in settings.cases.rules.values() for r in rule.routes}
    teams = sorted(
        {g.group for g in every.groups if g.group} | routed | {p.team for p in settings.playbooks.values()}
    )
    shown = team_for(who, team, teams)
    if shown is not None and shown not in teams and who.role not in TEAM_ROLES:
        raise CxgapError(f"There is no team '{shown}'; choose one of {', '.join(teams)}.")
    context = team_context(dashboard, shown, now) if shown else {}
    return loop_page(
        request,
        dashboard,
        "loop_team.html.j2",
        "/team",
        title=f"Team {shown}" if shown else "Team",
        team=shown,
        teams=teams if who.role not in TEAM_ROLES else [],
        now=now,
        min_n=settings.analysis.min_n,
        share=share,
        hours=hours,
        **context,
    )
