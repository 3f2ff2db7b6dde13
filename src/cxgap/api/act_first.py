"""Where to act first, as the overview and the JSON API show it: computed once per store version and
filters (the same cached object for both), with money in the company's currency. The impact chain's links
are fitted once per store version on the whole store; a slice puts its own gaps and customers through them."""

from __future__ import annotations

from typing import Any

from cxgap.api.dashboard import Dashboard
from cxgap.api.results import plain
from cxgap.engine import ALL, Filters
from cxgap.gaps import Priorities, Priority, describe, figure, q_text
from cxgap.impact.act_first import ValueChain, fit_chain, where_to_act
from cxgap.report.money import money_interval


def chain(dashboard: Dashboard) -> ValueChain:
    """The impact chain's links on the whole store, fitted once per store version and kept with the
    default views (the key is the unfiltered "act_first" result's), so a slice never refits them."""

    def compute() -> ValueChain:
        return fit_chain(dashboard.engine, dashboard.settings)

    result: ValueChain = dashboard.cache.get(("act_first", ALL, "chain"), compute)
    return result


def priorities(dashboard: Dashboard, filters: Filters) -> Priorities:
    """The slice's ranked places to act (ten at most) and the leaders' beliefs, cached per filters: the
    slice's gaps, reach and customers through the whole store's chain."""
    report = dashboard.gaps(filters)

    def compute() -> Priorities:
        links = chain(dashboard)  # current: read inside the computation
        return where_to_act(dashboard.engine, dashboard.settings, report, filters, chain=links)

    result: Priorities = dashboard.cache.get(("act_first", filters), compute)
    return result


def value_text(item: Priority, currency: str) -> str:
    """The value at stake in words: money with its interval, or why it is not measured."""
    if item.value is None:
        return item.reason
    money = money_interval(item.value.value, item.value.low, item.value.high, currency)
    return money if item.valued else f"{money}: {item.reason}"


def priority_json(item: Priority, currency: str) -> dict[str, Any]:
    """One place to act as JSON: the gap, its sentence and figure, the value at stake (null when not
    measured, with the reason), and the target an operational gap misses."""
    value = item.value
    return dict(plain(item.gap)) | {
        "finding": describe(item.gap),
        "figure": figure(item.gap),
        "q": q_text(item.gap.q_value),
        "value_at_stake": None if value is None else dict(plain(value)) | {"currency": currency},
        "value_text": value_text(item, currency),
        "valued": item.valued,
        "reason": item.reason or None,
        "against": item.against() or None,
    }
