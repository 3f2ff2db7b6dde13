""" "Raise an issue" on each place to act: the closed loop's systemic issue, with its owner and action.

The overview is cached per store version, but issues change between imports, so the cached page holds one
marker per place to act and each request fills the markers with the open issue for that gap, or the form
that raises one (analysts and admins may; others see who to ask).
"""

from __future__ import annotations

import html
import re
from typing import Any

from cxgap import cases
from cxgap.access.tokens import Principal
from cxgap.api.auth import ANALYSTS
from cxgap.api.dashboard import Dashboard
from cxgap.config import Settings
from cxgap.web.pages.render import TEMPLATES

MARKER = re.compile(r'<cxgap-issue kind="([^"]*)" touchpoint="([^"]*)" subject="([^"]*)"></cxgap-issue>')
GapId = tuple[str, str | None, str]


def open_issues(dashboard: Dashboard, scope: str | None) -> dict[GapId, cases.IssueRecord]:
    """The issues not yet done that name the gap they should close, by that gap (newest first wins)."""
    found: dict[GapId, cases.IssueRecord] = {}
    for record in cases.list_issues(dashboard.store, team=scope):
        if record.status != "done" and record.gap_kind and record.gap_subject:
            found.setdefault((record.gap_kind, record.touchpoint, record.gap_subject), record)
    return found


def default_team(settings: Settings, touchpoint: str | None) -> str:
    """The team the closed loop's rules route this touchpoint's cases to (empty when none does)."""
    for rule in settings.cases.rules.values():
        for route in rule.routes:
            if route.touchpoint == touchpoint and touchpoint is not None:
                return route.team
    return ""


def issue_block(
    dashboard: Dashboard,
    gap: GapId,
    who: Principal | None,
    csrf: str,
    existing: cases.IssueRecord | None,
    message: str = "",
    typed: dict[str, str] | None = None,
) -> str:
    """The open issue for a gap, or the small form that raises one (with what was typed and why it was
    refused, after a refusal)."""
    kind, touchpoint, subject = gap
    settings = dashboard.settings
    context: dict[str, Any] = {
        "kind": kind,
        "touchpoint": touchpoint or "",
        "subject": subject,
        "issue": existing,
        "may_raise": who is not None and who.role in ANALYSTS,
        "csrf": csrf,
        "root_causes": settings.cases.root_causes,
        "team": default_team(settings, touchpoint),
        "message": message,
        "typed": typed or {},
        "slug": re.sub(r"[^a-z0-9]+", "-", f"{kind}-{touchpoint or 'overall'}-{subject}".lower()),
    }
    return TEMPLATES.get_template("act_issue.html.j2").render(**context)


def fill_issues(page: str, dashboard: Dashboard, who: Principal | None, csrf: str) -> str:
    """Replace each marker of a cached page with its gap's open issue or the form that raises one."""
    if "<cxgap-issue " not in page:
        return page
    known = open_issues(dashboard, who.scope if who else None)

    def fill(match: re.Match[str]) -> str:
        kind, touchpoint, subject = (html.unescape(part) for part in match.groups())
        gap = (kind, touchpoint or None, subject)
        return issue_block(dashboard, gap, who, csrf, known.get(gap))

    return MARKER.sub(fill, page)
