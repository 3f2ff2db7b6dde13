"""Gaps in plain language, the same words on every surface (terminal, report, dashboard)."""

from __future__ import annotations

import math

from cxgap.gaps.priorities import metric_name
from cxgap.gaps.schemas import Gap, PerceptionHeadline


def _amount(value: float, unit: str) -> str:
    size = abs(value)
    if unit == "share":
        return f"{100 * size:.1f} points"
    if unit == "seconds":
        return f"{size:,.0f} s"
    if unit == "hours":
        return f"{size:,.1f} h"
    if unit == "points":
        return f"{size:.2f} points"
    return f"{size:.3g} {unit}".strip()


def figure(gap: Gap) -> str:
    """The gap's value with its interval, in its unit, e.g. '-0.99 [-1.01, -0.97] points'."""
    scale, suffix = (100.0, " pts") if gap.unit == "share" else (1.0, f" {gap.unit}" if gap.unit else "")
    if math.isnan(gap.p_value):
        return f"{scale * gap.value:+.3g}{suffix} (fixed values)"
    return f"{scale * gap.value:+.3g} [{scale * gap.low:+.3g}, {scale * gap.high:+.3g}]{suffix}"


def _where(gap: Gap) -> str:
    where = gap.touchpoint.capitalize() if gap.touchpoint else "Overall"
    return f"{where}, {gap.segment} customers" if gap.segment else where


def describe(gap: Gap) -> str:
    """One sentence a CX lead can act on."""
    amount, where, worse = _amount(gap.value, gap.unit), _where(gap), gap.value < 0
    if gap.kind == "customer":
        who = "they" if gap.segment else "customers"
        what = f"item {gap.subject} ({gap.dimension})" if gap.dimension else gap.subject
        return f"{where}: {who} rate {what} {amount} {'below' if worse else 'above'} what they expect."
    if gap.kind == "perception":
        if gap.subject.startswith("superior experience"):
            return f"{amount} fewer customers than leaders say the experience beats the competition."
        dimension, role = gap.subject.rsplit(" (", 1)
        return f"{where}: customers rate {dimension} {amount} {'lower' if worse else 'higher'} than {role.rstrip(')')}s believe."
    if gap.kind == "knowledge" and gap.measure.startswith("stated importance"):
        dimension, role = gap.subject.rsplit(" (", 1)
        weight = "less" if worse else "more"
        return f"{role.rstrip(')')}s give {dimension} {amount} {weight} of the importance than it has for customers' loyalty."
    if gap.kind == "knowledge":
        dimension, role = gap.subject.rsplit(" (", 1)
        return f"{where}: {role.rstrip(')')}s think customers expect {amount} {'less' if worse else 'more'} {dimension} than they do."
    if gap.kind == "implementation":
        verb = "misses the company's own standard by" if worse else "beats the company's own standard by"
        return f"{where}: {metric_name(gap.subject)} {verb} {amount}."
    if gap.kind == "communication":
        verb = "falls short of what is promised by" if worse else "keeps the promise with"
        return f"{where}: {metric_name(gap.subject)} {verb} {amount}{'' if worse else ' to spare'}."
    looser = "looser than" if worse else "stricter than"
    return f"{where}: the standard for {metric_name(gap.subject)} is {amount} {looser} what customers expect."


def headline_sentence(h: PerceptionHeadline) -> str:
    """The 80%-vs-8% sentence with both intervals; below the minimum n of customers' answers, the
    customers' side says insufficient data with its n, as the score tiles do."""
    leaders, customers = h.leaders, h.customers
    believe = (
        f"{100 * leaders.value:.0f}% of leaders [{100 * leaders.low:.0f}-{100 * leaders.high:.0f}%, n={leaders.n}] believe the "
        "experience is superior to competitors'"
    )
    if not h.sufficient:
        return (
            f"{believe}; whether customers agree: insufficient data "
            f"(n={customers.n:,} customers' answers < {h.min_n})."
        )
    return (
        f"{believe}; {100 * customers.value:.1f}% of customers "
        f"[{100 * customers.low:.1f}-{100 * customers.high:.1f}%, n={customers.n:,}] agree."
    )


RANKINGS = {
    "effect": "effect size (shortfall / SD; for a standard set against customers' expectation, which has no "
    "SD, shortfall / the larger of the two) x reach (the share of customers who meet the touchpoint; 1 for "
    "the company as a whole)",
    "shortfall": "the shortfall in scale points (1-7 ratings); gaps in other units (seconds, hours, shares) "
    "follow, by effect size x reach",
}


SHORT_RANKINGS = {
    "effect": "effect size (shortfall / SD) x reach",
    "shortfall": "the shortfall in scale points",
}


def ranking_sentence(rank: str, option: bool = True) -> str:
    """How a list of gaps is ranked, in words (see `Gap.rank_key`), and with `option` how to rank the
    other way: every list of gaps says its order, so nobody reads effect size as the largest shortfall."""
    other = "shortfall" if rank == "effect" else "effect"
    said = f"Ranked by {RANKINGS[rank]}"
    if option:
        said += f"; --rank {other} ranks by {SHORT_RANKINGS[other]}"
    return said + "."
