"""The sums every journey measure is estimated from, each an aggregate the backend computes from the
incident expression (journeys.estimates turns them into estimates with intervals).

Python receives a few rows per measure: counts per bucket, cross-product sums for a regression, 2x2
tables per touchpoint pair. With `by` (each customer's segment, see `segments_of`), every sum is also kept
per segment of the customer, so that the whole store's sums answer a segment's slice by selection
(journeys.segment): every measure is a sum over customers, and a segment's slice holds its customers whole.
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from cxgap.engine import whole
from cxgap.journeys.incidents import SECONDS_PER_DAY, capped


def _ones(condition: Any) -> Any:
    """1 where true, else 0 (PostgreSQL cannot cast a boolean to bigint)."""
    return ibis.ifelse(condition, 1, 0)


def _frame(expr: Any) -> pd.DataFrame:
    return pd.DataFrame(expr.execute())


def segments_of(engine: Any) -> Any:
    """Each customer's segment (null where none), the key a whole-store analysis keeps its sums under."""
    c = engine.table("customers")
    return c.select(sid=c.customer_id.cast("string"), segment=c.segment)


def _tag(t: Any, by: Any | None) -> tuple[Any, list[str]]:
    """`t` (with a customer_id) with its customer's segment beside each row, and the key to group by:
    ["segment"] with `by`, else `t` as it is and no key. Rows of customers the store does not know, and
    of customers without a segment, get a null segment (no segment's slice holds them)."""
    if by is None:
        return t, []
    j = t.left_join(by, t.customer_id.cast("string") == by.sid)
    return j.select(*(t[c] for c in t.columns if c != "segment"), segment=by.segment), ["segment"]


def interaction_counts(engine: Any, by: Any | None = None) -> pd.DataFrame:
    """How many interactions there are (per segment with `by`)."""
    t, key = _tag(engine.table("interactions"), by)
    return _frame(t.group_by(key).aggregate(n=t.count()) if key else t.aggregate(n=t.count()))


def load_sums(engine: Any, incidents: Any, limits: dict[str, int]) -> pd.DataFrame:
    """Per segment and bucket of incidents per customer (0, 1, 2, 3+): customers, and the sum and sum of
    squares of their (capped) incident counts; customers without any count as 0."""
    visible = incidents.filter(~incidents.internal)
    per = visible.group_by(["customer_id", "incident"]).aggregate(n=visible.count())
    per = per.mutate(n=capped(per, "n", limits))
    k = per.group_by("customer_id").aggregate(k=per.n.sum())
    c = engine.table("customers")
    c = c.select(customer_id=c.customer_id.cast("string"), segment=c.segment)
    j = c.left_join(k, c.customer_id == k.customer_id).select(c.segment, k=k.k.fill_null(0))
    j = j.mutate(bucket=ibis.least(j.k, 3))
    return _frame(
        j.group_by(["segment", "bucket"]).aggregate(n=j.count(), total=j.k.sum(), sq=(j.k * j.k).sum())
    )


def _design(engine: Any, incidents: Any, names: list[str], limits: dict[str, int], survey: str) -> Any:
    """One row per outcome response: its NPS and the incidents of each kind before it (capped)."""
    r = engine.table("responses")
    r = r.filter((r.survey_kind == survey) & r.nps.notnull() & r.customer_id.notnull())
    r = r.select(
        r.response_id,
        customer_id=r.customer_id.cast("string"),
        answered=r.responded_at,
        y=r.nps.cast("float64"),
    )
    visible = incidents.filter(~incidents.internal)
    j = r.join(visible, [r.customer_id == visible.customer_id, visible.at < r.answered])
    j = j.select(r.response_id, visible.incident)
    per = j.group_by(["response_id", "incident"]).aggregate(n=j.count())
    per = per.mutate(n=capped(per, "n", limits))
    wide = per.group_by("response_id").aggregate(
        **{f"x{i}": per.n.sum(where=per.incident == name) for i, name in enumerate(names)}
    )
    x = r.left_join(wide, r.response_id == wide.response_id).select(
        r.customer_id,
        r.y,
        **{f"x{i}": wide[f"x{i}"].fill_null(0).cast("float64") for i in range(len(names))},
    )
    k = sum((x[f"x{i}"] for i in range(len(names))), ibis.literal(0.0))
    return x.mutate(
        one=ibis.literal(1.0), extra=ibis.greatest(k - 1, 0), bucket=ibis.least(k, 3).cast("int64")
    )


def damage_columns(names: list[str]) -> list[str]:
    """The damage regression's columns: the intercept, each incident kind's count, incidents beyond one."""
    return ["one"] + [f"x{i}" for i in range(len(names))] + ["extra"]


def damage_sums(
    engine: Any,
    incidents: Any,
    names: list[str],
    limits: dict[str, int],
    survey: str,
    by: Any | None = None,
) -> pd.DataFrame:
    """Per bucket of incidents before the answer (0, 1, 2, 3+): the cross products of the damage
    regression (NPS answer on each kind's count and the incidents beyond the first), from which its
    coefficients follow. Every term is an integer, so the sums are exact in any order."""
    x, key = _tag(_design(engine, incidents, names, limits, survey), by)
    columns = damage_columns(names)
    sums: dict[str, Any] = {"n": x.count(), "yy": (x.y * x.y).sum()}
    for a, first in enumerate(columns):
        sums[f"y_{a}"] = (x[first] * x.y).sum()
        for b in range(a, len(columns)):
            sums[f"p_{a}_{b}"] = (x[first] * x[columns[b]]).sum()
    frame = _frame(x.group_by([*key, "bucket"]).aggregate(**sums))
    return frame.fillna({c: 0 for c in frame.columns if c not in ("segment", "bucket")})


def _contacts(engine: Any, incidents: Any) -> Any:
    """Every contact with a customer and a touchpoint: when, where, and whether an incident rule failed it."""
    t = engine.table("interactions")
    t = t.filter(t.customer_id.notnull() & t.touchpoint.notnull())
    ev = t.select(
        record_id=t.interaction_id.cast("string"),
        customer_id=t.customer_id.cast("string"),
        at=t.occurred_at,
        touchpoint=t.touchpoint,
    )
    fails = incidents.filter(incidents.source == "interactions").select(fid=incidents.record_id).distinct()
    return ev.left_join(fails, ev.record_id == fails.fid).select(
        ev.customer_id, ev.at, ev.touchpoint, failed=fails.fid.notnull()
    )


def pair_counts(engine: Any, incidents: Any, by: Any | None = None) -> pd.DataFrame:
    """Per (upstream, downstream, whether the upstream touchpoint had failed before): customers whose first
    downstream contact after their first upstream one is counted, and how many of those contacts failed.

    A contact is the customer's first at its touchpoint after a moment when it comes after the moment and
    their previous contact there does not. Each customer's first contact (and first failure) at every
    touchpoint sits beside each of their contacts as columns, so every upstream touchpoint is judged in one
    pass over the contacts, with no join of every contact to every upstream touchpoint and no ranking."""
    evf = _contacts(engine, incidents)
    places = [str(v) for v in _frame(evf.select("touchpoint").distinct())["touchpoint"]]
    firsts = evf.group_by("customer_id").aggregate(
        **{f"f{i}": evf.at.min(where=evf.touchpoint == up) for i, up in enumerate(places)},
        **{f"x{i}": evf.at.min(where=(evf.touchpoint == up) & evf.failed) for i, up in enumerate(places)},
    )
    firsts, key = _tag(firsts, by)  # per customer: the segment joins one row a customer, not each contact
    window = ibis.window(group_by=[evf.customer_id, evf.touchpoint], order_by=evf.at)
    ev = evf.mutate(before=evf.at.lag().over(window))
    j = ev.join(firsts, ev.customer_id == firsts.customer_id)
    marks: dict[str, Any] = {}
    for i, up in enumerate(places):  # per upstream touchpoint: counted, and the upstream had failed
        first = j[f"f{i}"]
        counted = (j.touchpoint != up) & (first < j.at) & (j.before.isnull() | (j.before <= first))
        marks[f"c{i}"] = counted.fill_null(False)
        marks[f"a{i}"] = (j[f"x{i}"] < j.at).fill_null(False)
    j = j.select(*key, "touchpoint", "failed", **marks)
    sums: dict[str, Any] = {}
    for i in range(len(places)):
        c, a = j[f"c{i}"], j[f"a{i}"]
        for flag, chosen in ((1, c & a), (0, c & ~a)):
            sums[f"n{i}_{flag}"] = j.count(where=chosen)
            sums[f"k{i}_{flag}"] = j.count(where=chosen & j.failed)
    wide = _frame(j.group_by([*key, "touchpoint"]).aggregate(**sums)) if places else pd.DataFrame()
    rows = [
        {
            **{k: row[k] for k in key},
            "upstream": up,
            "downstream": row["touchpoint"],
            "up_failed": bool(flag),
            "n": whole(row[f"n{i}_{flag}"]),
            "failures": whole(row[f"k{i}_{flag}"]),
        }
        for row in wide.to_dict("records")
        for i, up in enumerate(places)
        for flag in (1, 0)
    ]
    table = pd.DataFrame(rows, columns=[*key, "upstream", "downstream", "up_failed", "n", "failures"])
    return table[table.n > 0].reset_index(drop=True)


def channel_sums(engine: Any, online: list[str], by: Any | None = None) -> pd.DataFrame:
    """Per touchpoint, reason and whether the channel is online: contacts, and how many were resolved."""
    t = engine.table("interactions")
    t = t.filter(t.reason.notnull() & t.channel.notnull() & t.resolved.notnull() & t.touchpoint.notnull())
    t, key = _tag(t.mutate(online=t.channel.isin(online)), by)
    return _frame(
        t.group_by([*key, "touchpoint", "reason", "online"]).aggregate(
            n=t.count(), ok=_ones(t.resolved).sum()
        )
    )


def repeat_sums(engine: Any, days: float, by: Any | None = None) -> pd.DataFrame:
    """Per touchpoint and whether the contact was left unresolved: contacts, and how many were followed
    within `days` by the same customer's next contact about the same reason."""
    t = engine.table("interactions")
    t = t.filter(t.reason.notnull() & t.customer_id.notnull() & t.touchpoint.notnull())
    window = ibis.window(group_by=[t.customer_id, t.touchpoint, t.reason], order_by=t.occurred_at)
    t = t.mutate(next_at=t.occurred_at.lead().over(window))
    again = t.next_at.notnull() & (
        t.next_at.epoch_seconds() - t.occurred_at.epoch_seconds() <= days * SECONDS_PER_DAY
    )
    t = t.select(t.customer_id, t.touchpoint, again=_ones(again), unresolved=~t.resolved.fill_null(True))
    t, key = _tag(t, by)
    return _frame(t.group_by([*key, "touchpoint", "unresolved"]).aggregate(n=t.count(), again=t.again.sum()))


def flow_sums(engine: Any, incidents: Any, touchpoints: list[str], by: Any | None = None) -> pd.DataFrame:
    """Per touchpoint of the journey and whether the customer met an incident there: customers who
    reached it, and how many of them churned."""
    t = engine.table("interactions")
    t = t.filter(t.customer_id.notnull() & t.touchpoint.isin(touchpoints))
    reached = t.select(customer_id=t.customer_id.cast("string"), touchpoint=t.touchpoint).distinct()
    failed = (
        incidents.select(incidents.customer_id, incidents.touchpoint).distinct().mutate(hit=ibis.literal(1))
    )
    c = engine.table("customers")
    c = c.select(
        customer_id=c.customer_id.cast("string"), segment=c.segment, churned=c.churned.fill_null(False)
    )
    j = reached.left_join(
        failed, [reached.customer_id == failed.customer_id, reached.touchpoint == failed.touchpoint]
    )
    j = j.select(reached.customer_id, reached.touchpoint, hit=failed.hit.notnull())
    j = j.left_join(c, j.customer_id == c.customer_id).select(
        j.touchpoint, j.hit, c.segment, churned=c.churned.fill_null(False)
    )
    key = [] if by is None else ["segment"]  # the customers' own segment: `by` is read from the same table
    return _frame(
        j.group_by([*key, "touchpoint", "hit"]).aggregate(n=j.count(), churned=_ones(j.churned).sum())
    )
