"""Where to act first: ranked by the value at stake and reach, not effect size alone; leaders' beliefs
apart; a gap without a value chain still listed, with the reason; q-values people can read."""

from __future__ import annotations

import math

from cxgap.gaps import Gap, GapReport, Target, ValueAtStake, prioritise, q_text
from cxgap.gaps.priorities import default_reason


def _gap(kind: str, touchpoint: str | None, subject: str, value: float, effect: float, **more: object) -> Gap:
    fields: dict[str, object] = {"low": value * 1.1, "high": value * 0.9, "n": 2_000, "p_value": 1e-9}
    fields |= {"reach": 1.0, "q_value": 1e-8, "significant": True} | more
    return Gap(kind, touchpoint, subject, "m", value, effect_size=effect, **fields)  # type: ignore[arg-type]


WAIT = _gap("implementation", "support", "wait_seconds@call", -131.0, -0.4, unit="seconds", reach=0.8)
BELIEF = _gap("perception", None, "assurance (leader)", -1.2, -1.5, unit="points")
TINY = _gap("perception", "app", "tangibles (leader)", -0.05, -0.08, unit="points")
PROMISE = _gap("communication", "installation", "on_time_rate", -0.155, -0.46, unit="share")
STANDARD = _gap("implementation", "installation", "on_time_rate", -0.094, -0.27, unit="share")
CALLBACK = _gap("design", "support", "callback_hours", -22.0, -0.92, unit="hours", p_value=math.nan)
CALLBACK = Gap(**{**CALLBACK.__dict__, "q_value": math.nan, "significant": False})
RELIABILITY = _gap("customer", None, "reliability", -1.02, -1.07, unit="points")
FINE = _gap("customer", None, "tangibles", 0.2, 0.2, unit="points")
MONEY = {
    ("implementation", "support", "wait_seconds@call"): ValueAtStake(180_000, 90_000, 270_000, "wait chain"),
    ("communication", "installation", "on_time_rate"): ValueAtStake(94_000, 39_000, 150_000, "late chain"),
    ("implementation", "installation", "on_time_rate"): ValueAtStake(94_000, 39_000, 150_000, "late chain"),
    ("customer", None, "reliability"): ValueAtStake(40_000, -5_000, 85_000, "reliability chain"),
}
TARGETS = {
    ("implementation", "support", "wait_seconds@call"): Target(300.0, "at_most", "standard"),
    ("communication", "installation", "on_time_rate"): Target(0.95, "at_least", "promise"),
    ("implementation", "installation", "on_time_rate"): Target(0.90, "at_least", "standard"),
}


def test_support_wait_with_money_at_stake_outranks_a_larger_but_unvalued_effect() -> None:
    report = GapReport((BELIEF, TINY, CALLBACK, WAIT, RELIABILITY, FINE))
    act = prioritise(report, MONEY, TARGETS)
    ranked = [p.gap.subject for p in act.items]
    assert ranked[0] == "wait_seconds@call"  # money first, though its effect (0.4 x 0.8) is the smallest
    assert RELIABILITY.priority > CALLBACK.priority > WAIT.priority
    assert "tangibles" not in ranked  # not a shortfall
    assert act.items[0].valued and act.items[0].value is not None and act.items[0].value.chain == "wait chain"
    assert act.items[0].against() == "support: call wait 431 s against a 300 s standard (n=2,000)"
    assert act.items[0].actual == 431.0


def test_leaders_beliefs_are_their_own_block_not_the_list() -> None:
    act = prioritise(GapReport((TINY, BELIEF, WAIT)), MONEY, TARGETS, beliefs_shown=1)
    assert [p.gap.kind for p in act.items] == ["implementation"]
    assert act.beliefs == (BELIEF,) and act.more_beliefs == 1
    only_beliefs = prioritise(GapReport((BELIEF,)), {}, {})
    assert only_beliefs.items == () and only_beliefs.nothing and "leaders' beliefs" in only_beliefs.nothing


def test_a_gap_without_value_is_still_listed_with_its_reason() -> None:
    act = prioritise(GapReport((CALLBACK, RELIABILITY, WAIT)), MONEY, TARGETS)
    by_subject = {p.gap.subject: p for p in act.items}
    callback = by_subject["callback_hours"]
    assert callback.value is None and not callback.valued
    assert callback.reason == default_reason(CALLBACK) and "value not measured" in callback.reason
    reliability = by_subject["reliability"]  # a value whose interval covers zero ranks with the unvalued
    assert not reliability.valued and reliability.reason == "value at stake not distinguishable from zero"
    assert [p.gap.subject for p in act.items] == ["wait_seconds@call", "reliability", "callback_hours"]
    given = prioritise(GapReport((RELIABILITY,)), {("customer", None, "reliability"): "no churn known"}, {})
    assert given.items[0].reason == "no churn known"
    frame = act.to_frame()
    assert list(frame["rank"]) == [1, 2, 3] and frame["valued"].tolist() == [True, False, False]
    assert frame["value_at_stake"][1] == 40_000 and math.isnan(frame["value_at_stake"][2])
    assert frame["target"][0] == 300.0


def test_the_promise_and_the_standard_on_one_metric_take_one_place_the_larger_miss() -> None:
    act = prioritise(GapReport((STANDARD, PROMISE, WAIT)), MONEY, TARGETS)
    installation = [p for p in act.items if p.gap.touchpoint == "installation"]
    assert len(installation) == 1 and installation[0].gap.kind == "communication"
    assert (
        installation[0].against() == "installation: on-time rate 79.5% against the promised 95.0% (n=2,000)"
    )


def test_q_values_read_as_people_read_them() -> None:
    assert [q_text(q) for q in (0.0, 2e-61, 0.00099, 0.0042, 0.049, 0.38)] == [
        "< 0.001",
        "< 0.001",
        "< 0.001",
        "0.0042",
        "0.05",
        "0.38",
    ]
    assert q_text(math.nan) == ""
