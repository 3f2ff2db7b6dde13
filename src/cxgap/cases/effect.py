"""Did the improvement close the gap? The issue's gap measured by the gap engine before and after its action.

The months before the action month are compared with the months after it (the action month itself is
left out unless the action took effect on its first day). A before/after change alone mixes the action
with everything else that moved in those months, so the same gap at the other touchpoints, which the
action did not touch, is measured over the same periods and its average change is subtracted (a
difference in differences). Both changes carry normal intervals from the gaps' own intervals.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace

import pandas as pd
from scipy import stats

from cxgap.cases.systemic import IssueRecord
from cxgap.config import Settings
from cxgap.engine import Engine, Filters
from cxgap.errors import CxgapError
from cxgap.gaps import Gap, GapReport, analyze
from cxgap.stats import Difference, normal_difference


@dataclass(frozen=True)
class IssueEffect:
    """The issue's gap before and after its action; `change` is after minus before (positive: narrower,
    since gaps are negative when worse), `net` the change beyond the other touchpoints' average change."""

    issue_id: str
    gap_kind: str
    gap_subject: str
    touchpoint: str | None
    before_period: tuple[str, str]
    after_period: tuple[str, str]
    before: Gap | None
    after: Gap | None
    change: Difference | None
    control: Difference | None
    controls: int
    net: Difference | None
    status: str  # measured, insufficient data, too early

    def sentence(self) -> str:
        """The effect in words, with its interval."""
        where = f"{self.gap_kind} gap '{self.gap_subject}' at {self.touchpoint or 'all touchpoints'}"
        if self.status != "measured" or self.change is None or self.before is None or self.after is None:
            return f"The {where}: {self.status} ({self.before_period[0]}..{self.after_period[1]})."
        c = self.change
        verdict = "narrowed" if c.low > 0 else "widened" if c.high < 0 else "did not change significantly"
        text = (
            f"The {where} {verdict}: {self.before.value:.3g} before ({self.before_period[0]}..{self.before_period[1]}) "
            f"-> {self.after.value:.3g} after ({self.after_period[0]}..{self.after_period[1]}), "
            f"change {c.value:+.3g} [{c.low:+.3g}, {c.high:+.3g}]"
        )
        if self.net is not None:
            text += f"; {self.net.value:+.3g} [{self.net.low:+.3g}, {self.net.high:+.3g}] beyond the other touchpoints"
        return text + "."

    def to_frame(self) -> pd.DataFrame:
        """One row per period (before, after), then the change and the net change."""
        rows = []
        for label, gap, period in (
            ("before", self.before, self.before_period),
            ("after", self.after, self.after_period),
        ):
            rows.append(
                {"row": label, "period": f"{period[0]}..{period[1]}"}
                | ({"value": gap.value, "low": gap.low, "high": gap.high, "n": gap.n} if gap else {})
            )
        for label, diff in (("change", self.change), ("net change", self.net)):
            if diff is not None:
                rows.append(
                    {
                        "row": label,
                        "value": diff.value,
                        "low": diff.low,
                        "high": diff.high,
                        "p_value": diff.p_value,
                    }
                )
        return pd.DataFrame(rows)


def _month(day: dt.date, shift: int) -> str:
    index = day.year * 12 + day.month - 1 + shift
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _periods(action_at: dt.datetime, months: int) -> tuple[tuple[str, str], tuple[str, str]]:
    starts_clean = action_at.day == 1 and action_at.time() == dt.time(0)
    first_after = 0 if starts_clean else 1
    before = (_month(action_at, -months), _month(action_at, -1))
    after = (_month(action_at, first_after), _month(action_at, first_after + months - 1))
    return before, after


def _se(gap: Gap, confidence: float) -> float:
    if gap.n == 0 or math.isnan(gap.p_value):  # fixed gaps (standards vs expectations) have no sampling error
        return 0.0
    return (gap.high - gap.low) / (2 * float(stats.norm.ppf(0.5 + confidence / 2)))


def _usable(gap: Gap | None) -> bool:
    return gap is not None and not (math.isnan(gap.value) or math.isnan(gap.low))


def _find(
    gaps: dict[tuple[str, str | None, str], Gap], kind: str, subject: str, touchpoint: str | None
) -> Gap | None:
    return gaps.get((kind, touchpoint, subject)) or gaps.get((kind, None, subject))


def _index(gaps: tuple[Gap, ...]) -> dict[tuple[str, str | None, str], Gap]:
    return {(g.kind, g.touchpoint, g.subject): g for g in gaps if g.segment is None}


def _control_changes(
    before: dict[tuple[str, str | None, str], Gap],
    after: dict[tuple[str, str | None, str], Gap],
    issue: IssueRecord,
    confidence: float,
) -> list[tuple[float, float, int, int]]:
    """(change, its se, n before, n after) of the issue's gap at every other touchpoint measured twice."""
    out = []
    for key, b in before.items():
        a = after.get(key)
        same_gap = key[0] == issue.gap_kind and key[2] == issue.gap_subject
        if (
            same_gap
            and key[1] not in (issue.touchpoint, None)
            and a is not None
            and _usable(a)
            and _usable(b)
        ):
            se = math.hypot(_se(b, confidence), _se(a, confidence))
            out.append((a.value - b.value, se, b.n, a.n))
    return out


def issue_effect(
    engine: Engine,
    settings: Settings,
    issue: IssueRecord,
    months: int = 6,
    *,
    now: dt.datetime | None = None,
) -> IssueEffect:
    """Measure the issue's gap in the `months` before and after its action with the gap engine."""
    if issue.action_at is None:
        raise CxgapError(f"Systemic issue {issue.issue_id} has no action date yet; plan its action first.")
    if issue.gap_kind is None or issue.gap_subject is None:
        raise CxgapError(
            f"Systemic issue {issue.issue_id} names no gap to close; set its gap kind and subject."
        )
    if months < 1:
        raise CxgapError(f"months = {months} must be at least 1.")
    before_period, after_period = _periods(issue.action_at, months)
    confidence = settings.analysis.confidence
    before_gaps = _index(analyze(engine, settings, filters=Filters(*before_period)).gaps)
    after_gaps = _index(analyze(engine, settings, filters=Filters(*after_period)).gaps)
    kind, subject = issue.gap_kind, issue.gap_subject
    before = _find(before_gaps, kind, subject, issue.touchpoint)
    after = _find(after_gaps, kind, subject, issue.touchpoint)
    empty = IssueEffect(
        issue.issue_id,
        kind,
        subject,
        issue.touchpoint,
        before_period,
        after_period,
        before,
        after,
        None,
        None,
        0,
        None,
        "insufficient data",
    )
    if after_period[0] > (now or dt.datetime.now()).strftime("%Y-%m"):
        return replace(empty, status="too early")
    if before is None or after is None or not (_usable(before) and _usable(after)):
        return empty
    change = normal_difference(
        after.value - before.value,
        math.hypot(_se(before, confidence), _se(after, confidence)),
        before.n,
        after.n,
        confidence,
    )
    changes = _control_changes(before_gaps, after_gaps, issue, confidence)
    control = net = None
    if changes:
        k = len(changes)
        mean = sum(c[0] for c in changes) / k
        se = math.sqrt(sum(c[1] ** 2 for c in changes)) / k
        control = normal_difference(
            mean, se, sum(c[2] for c in changes), sum(c[3] for c in changes), confidence
        )
        net_se = math.hypot(_se(before, confidence), _se(after, confidence), se)
        net = normal_difference(change.value - mean, net_se, before.n, after.n, confidence)
    return replace(empty, change=change, control=control, controls=len(changes), net=net, status="measured")


def suggest_gap(report: GapReport, touchpoint: str | None) -> Gap | None:
    """The gap an issue at this touchpoint should most likely close: its highest-priority shortfall."""
    return next(
        (g for g in report.act_first(limit=1000) if g.touchpoint == touchpoint and g.segment is None), None
    )
