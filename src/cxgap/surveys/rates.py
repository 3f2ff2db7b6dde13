"""Response rates of hosted surveys, by the AAPOR standard definitions, per survey, touchpoint and segment.

Each invitation that went out is given one AAPOR final disposition from what `survey_invitations` (and
`survey_opt_outs`) recorded about it, in this order:

- I, complete: status `answered` (the answer was submitted).
- P, partial: status `partial`, or `expired` with answers saved (begun, never submitted).
- U, unknown eligibility: status `failed` (the e-mail could not be delivered: AAPOR's "invitation returned
  undelivered").
- R, refusal and break-off: the recipient opted out (by id) after the invitation went out (an explicit
  refusal), or opened the link and saved nothing (an implicit refusal, a break-off before any answer).
- NC, non-contact: delivered and never opened (`sent`, `expired` or `pending` after sending): we cannot
  tell that the invitation reached the person.
- O, other: none of our statuses maps here.

RR1 = I / (I + P + R + NC + O + U) and RR2 = (I + P) / (I + P + R + NC + O + U); every invitation sent is in
the denominator (no one is assumed ineligible), so RR1 is the share of invitations answered. Invitations
never sent (`skipped` by the contact-frequency rules, or `pending`) and anonymous links are not part of the
sample. Each rate carries its Wilson interval; fewer than `min_n` invitations say "insufficient data".
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ibis
import pandas as pd

from cxgap.engine import Engine
from cxgap.errors import CxgapError
from cxgap.stats import Estimate, wilson_interval
from cxgap.store import Store

NOT_SENT = ("skipped", "pending")
DISPOSITIONS = ("answered", "partial", "refused", "non_contact", "unknown")
COUNTS = ("invited", "delivered", *DISPOSITIONS, "opted_out")
LEVELS = ("survey", "touchpoint", "segment")


@contextmanager
def engine_of(source: Store | Engine) -> Iterator[Engine]:
    """The engine of `source`: itself, or one opened on the store for the call and closed after it."""
    if isinstance(source, Engine):
        yield source
        return
    engine = Engine(source)
    try:
        yield engine
    finally:
        engine.close()


@dataclass(frozen=True)
class RateRow:
    """One survey's invitations, overall or for one touchpoint or segment (None: all of them)."""

    survey: str
    touchpoint: str | None
    segment: str | None
    invited: int
    delivered: int
    answered: int
    partial: int
    refused: int
    non_contact: int
    unknown: int
    opted_out: int
    rr1: Estimate | None
    rr2: Estimate | None

    @property
    def level(self) -> str:
        """survey, touchpoint or segment: what the row breaks the survey down by."""
        return "touchpoint" if self.touchpoint is not None else "segment" if self.segment else "survey"

    @property
    def status(self) -> str:
        """'ok' or why there is no rate."""
        return "ok" if self.rr1 is not None else f"insufficient data, n={self.invited:,}"

    def figure(self) -> str:
        """The rates in words, e.g. 'RR1 23% [21, 25%], RR2 27% [25, 29%] of 1,790 invited'."""
        if self.rr1 is None or self.rr2 is None:
            return self.status
        shown = [
            f"{n} {100 * e.value:.0f}% [{100 * e.low:.0f}, {100 * e.high:.0f}%]"
            for n, e in (
                ("RR1", self.rr1),
                ("RR2", self.rr2),
            )
        ]
        return f"{', '.join(shown)} of {self.invited:,} invited"


@dataclass(frozen=True)
class ResponseRates:
    """AAPOR response rates per survey, and per touchpoint and segment within each survey."""

    rows: tuple[RateRow, ...]
    min_n: int

    def survey(self, name: str) -> RateRow | None:
        """The overall row of one survey."""
        return next((r for r in self.rows if r.survey == name and r.level == "survey"), None)

    def sentence(self) -> str:
        """The overall rate of each survey in one line each, or that nothing was sent."""
        overall = [r for r in self.rows if r.level == "survey"]
        if not overall:
            return "No survey invitation has been sent yet."
        return "\n".join(f"{r.survey}: {r.figure()}" for r in overall)

    def to_frame(self) -> pd.DataFrame:
        """One row per survey, touchpoint or segment: the counts, RR1 and RR2 with intervals, status."""
        nan = float("nan")
        rows = []
        for r in self.rows:
            row: dict[str, Any] = {"survey": r.survey, "level": r.level}
            row |= {"touchpoint": r.touchpoint, "segment": r.segment}
            row |= {name: getattr(r, name) for name in COUNTS}
            for name in ("rr1", "rr2"):
                e = getattr(r, name)
                row |= {name: e.value if e else nan, f"{name}_low": e.low if e else nan}
                row[f"{name}_high"] = e.high if e else nan
            rows.append(row | {"status": r.status})
        columns = ["survey", "level", "touchpoint", "segment", *COUNTS]
        columns += ["rr1", "rr1_low", "rr1_high", "rr2", "rr2_low", "rr2_high", "status"]
        return pd.DataFrame(rows, columns=columns)


def sent_invitations(engine: Engine, survey: str | None = None) -> Any:
    """The invitations that went out to a known person (anonymous links and ones never sent left out),
    with the recipient's segment ('staff' for staff, 'unknown' without one) and their AAPOR disposition."""
    i = engine.table("survey_invitations")
    i = i.filter(~i.status.isin(NOT_SENT) & (i.recipient_kind != "anonymous"))
    if survey:
        i = i.filter(i.survey == survey)
    c = engine.table("customers").select("customer_id", "segment")
    i = i.left_join(c, (i.recipient_kind == "customer") & (i.recipient_id == c.customer_id))
    o = engine.table("survey_opt_outs")
    i = i.left_join(o, o.opt_out_key == i.recipient_kind.concat(":", i.recipient_id))
    sent = i.sent_at.fill_null(i.created_at)
    opted = i.opted_out_at.notnull() & (i.opted_out_at >= sent)
    disposition = ibis.cases(
        (i.status == "answered", "answered"),
        ((i.status == "partial") | ((i.status == "expired") & i.partial.notnull()), "partial"),
        (i.status == "failed", "unknown"),
        (opted | i.opened_at.notnull(), "refused"),
        else_="non_contact",
    )
    segment = ibis.ifelse(i.recipient_kind == "staff", "staff", i.segment.fill_null("unknown"))
    return i.select(
        "invitation_id",
        "survey",
        "touchpoint",
        "recipient_kind",
        "recipient_id",
        "status",
        at=sent,
        segment=segment,
        disposition=disposition,
        opted_out=opted & (i.status != "answered"),
    )


def _counts(engine: Engine, survey: str | None) -> pd.DataFrame:
    """Invitations per survey, touchpoint, segment and disposition, counted by the backend."""
    i = sent_invitations(engine, survey)
    measures = {"invited": i.count(), "delivered": (i.status != "failed").sum()}
    measures |= {d: (i.disposition == d).sum() for d in DISPOSITIONS}
    measures["opted_out"] = i.opted_out.sum()
    frame = i.group_by(["survey", "touchpoint", "segment"]).aggregate(**measures).execute()
    return pd.DataFrame(frame)


def _row(survey: str, key: dict[str, Any], counts: pd.Series, min_n: int, confidence: float) -> RateRow:
    c = {name: int(counts[name]) for name in COUNTS}
    enough = c["invited"] >= min_n
    rr1 = wilson_interval(c["answered"], c["invited"], confidence) if enough else None
    rr2 = wilson_interval(c["answered"] + c["partial"], c["invited"], confidence) if enough else None
    return RateRow(survey, key.get("touchpoint"), key.get("segment"), **c, rr1=rr1, rr2=rr2)


def _rollup(frame: pd.DataFrame, min_n: int, confidence: float) -> list[RateRow]:
    """Each survey's row, then its touchpoints' and segments' where it has more than one of them."""
    rows = []
    for survey, part in frame.groupby("survey", sort=True):
        rows.append(_row(str(survey), {}, part[list(COUNTS)].sum(), min_n, confidence))
        for level in ("touchpoint", "segment"):
            groups = part.groupby(level, dropna=True, sort=True)[list(COUNTS)].sum()
            if level == "segment" and len(groups) < 2:
                continue  # one segment: its row would repeat the survey's
            for value, counts in groups.iterrows():
                rows.append(_row(str(survey), {level: str(value)}, counts, min_n, confidence))
    return rows


def response_rates(
    source: Store | Engine, survey: str | None = None, min_n: int = 30, confidence: float = 0.95
) -> ResponseRates:
    """AAPOR RR1 and RR2 with Wilson intervals for every survey (or one), overall and per touchpoint and
    per customer segment (see the module's docstring for how our statuses map to AAPOR dispositions)."""
    with engine_of(source) as engine:
        frame = _counts(engine, survey)
    for name in COUNTS:
        frame[name] = frame[name].fillna(0).astype(int)
    return ResponseRates(tuple(_rollup(frame, min_n, confidence)), min_n)


INCIDENT_DAYS = 30  # an interaction unresolved or missed this many days before the invitation is recent
IMBALANCE = 0.1  # a standardized difference beyond this is a visible imbalance (Austin 2009)
YEAR_SECONDS = 365.25 * 86_400


@dataclass(frozen=True)
class Balance:
    """One variable (or one segment) among the base, the invited and the respondents: a share (0..1) or
    a mean, and the respondents' standardized differences from the base and from the invited."""

    variable: str
    category: str | None
    kind: str
    base: float
    invited: float
    respondents: float
    vs_base: float
    vs_invited: float

    @property
    def imbalanced(self) -> bool:
        """Whether respondents differ from the base by more than IMBALANCE standard deviations."""
        return abs(self.vs_base) > IMBALANCE


@dataclass(frozen=True)
class RespondentComparison:
    """Who answered a survey compared with who was invited and with the customer base at the time: segment
    shares, tenure, value and recent incidents, so nonresponse bias is visible before anyone weights."""

    survey: str
    base_n: int
    invited_n: int
    respondents_n: int
    rows: tuple[Balance, ...]
    min_n: int = 30

    @property
    def enough(self) -> bool:
        """Whether there are enough respondents (min_n) to compare them with anyone."""
        return self.respondents_n >= self.min_n

    def sentence(self) -> str:
        """Where respondents differ most from the base, in one sentence."""
        if not self.enough:
            return (
                f"Insufficient data: {self.respondents_n:,} respondents to {self.survey}, too few (under "
                f"{self.min_n}) to compare with the {self.invited_n:,} invited and the base."
            )
        worst = max(self.rows, key=lambda r: abs(r.vs_base), default=None)
        if worst is None or not worst.imbalanced:
            return (
                f"The {self.respondents_n:,} respondents resemble the base of {self.base_n:,} customers "
                f"(every standardized difference within {IMBALANCE})."
            )
        what = f"{worst.variable} '{worst.category}'" if worst.category else worst.variable
        return (
            f"The {self.respondents_n:,} respondents differ from the base of {self.base_n:,} customers most "
            f"on {what}: {_shown(worst, worst.respondents)} against {_shown(worst, worst.base)} "
            f"(standardized difference {worst.vs_base:+.2f})."
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per variable or segment: base, invited, respondents, the standardized differences."""
        columns = ["variable", "category", "kind", "base", "invited", "respondents", "vs_base", "vs_invited"]
        rows = [[getattr(r, c) for c in columns] + [r.imbalanced] for r in self.rows]
        return pd.DataFrame(rows, columns=[*columns, "imbalanced"])


def _shown(row: Balance, value: float) -> str:
    return f"{100 * value:.0f}%" if row.kind == "share" else f"{value:,.2f}"


def _described(c: Any, at: Any, amount: str) -> dict[str, Any]:
    """Segment, tenure in years at `at`, value and the value's square of customers (for sums)."""
    tenure = (at.epoch_seconds() - c.started_at.cast("timestamp").epoch_seconds()) / YEAR_SECONDS
    return {"segment": c.segment.fill_null("unknown"), "tenure": tenure, "amount": c[amount]}


def _measures(t: Any) -> dict[str, Any]:
    """The sufficient statistics of each compared variable over a group."""
    out: dict[str, Any] = {"n": t.count(), "incident": (t.incidents > 0).sum()}
    for name in ("tenure", "amount"):
        out |= {f"{name}_n": t[name].count(), f"{name}_sum": t[name].sum()}
        out[f"{name}_sq"] = (t[name] * t[name]).sum()
    return out


def _incidents(engine: Engine, people: Any, at: Any, keys: list[str]) -> Any:
    """`people` with the number of their unresolved or missed interactions in the days before `at`."""
    x = engine.table("interactions")
    x = x.filter((x.resolved.fill_null(True) == False) | (x.handled.fill_null(True) == False))  # noqa: E712
    since = at - ibis.interval(days=INCIDENT_DAYS)
    j = people.left_join(x, [people.customer_id == x.customer_id, x.occurred_at < at, x.occurred_at >= since])
    return j.group_by(keys).aggregate(incidents=j.interaction_id.count())


def _groups(engine: Engine, survey: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per segment, the statistics of the survey's invited customers (by answered or not) and of the base
    active during its invitations (tenure and incidents at the last invitation)."""
    c = engine.table("customers")
    amount = "value" if int(c.value.notnull().sum().execute() or 0) else "revenue"
    i = sent_invitations(engine, survey).drop("segment")
    i = i.filter(i.recipient_kind == "customer")
    found = i.aggregate(first=i.at.min(), last=i.at.max(), n=i.count()).execute().iloc[0]
    if not int(found["n"]):
        raise CxgapError(f"No customer has been invited to the survey '{survey}' yet; nobody to compare.")
    first, last = pd.Timestamp(found["first"]).to_pydatetime(), pd.Timestamp(found["last"]).to_pydatetime()
    invited = i.join(c, i.recipient_id == c.customer_id)
    invited = invited.select(
        "invitation_id",
        "customer_id",
        "at",
        answered=invited.disposition == "answered",
        **_described(invited, invited.at, amount),
    )
    keys = ["invitation_id", "customer_id", "answered", "segment", "tenure", "amount"]
    invited = _incidents(engine, invited, invited.at, keys)
    base = c.filter(
        (c.started_at.isnull() | (c.started_at <= last.date()))
        & (c.ended_at.isnull() | (c.ended_at >= first.date()))
    )
    at = ibis.literal(last)
    base = _incidents(
        engine,
        base.select("customer_id", **_described(base, at, amount)),
        at,
        ["customer_id", "segment", "tenure", "amount"],
    )
    invited_stats = invited.group_by(["answered", "segment"]).aggregate(**_measures(invited))
    base_stats = base.group_by("segment").aggregate(**_measures(base))
    return pd.DataFrame(invited_stats.execute()), pd.DataFrame(base_stats.execute())


def _mean_sd(stats: pd.Series, name: str) -> tuple[float, float]:
    n = float(stats[f"{name}_n"])
    if not n:
        return float("nan"), float("nan")
    mean = float(stats[f"{name}_sum"]) / n
    return mean, math.sqrt(max(float(stats[f"{name}_sq"]) / n - mean**2, 0.0))


def _standardized(a: tuple[float, float], b: tuple[float, float]) -> float:
    """(mean a - mean b) / the pooled standard deviation sqrt((sd_a² + sd_b²)/2); 0 where both agree."""
    spread = math.sqrt((a[1] ** 2 + b[1] ** 2) / 2)
    return (a[0] - b[0]) / spread if spread > 0 else 0.0


def _share(k: float, n: float) -> tuple[float, float]:
    p = k / n if n else float("nan")
    return p, math.sqrt(p * (1 - p)) if n else float("nan")


def _balance(variable: str, category: str | None, kind: str, groups: list[tuple[float, float]]) -> Balance:
    base, invited, answered = groups
    return Balance(
        variable,
        category,
        kind,
        base[0],
        invited[0],
        answered[0],
        _standardized(answered, base),
        _standardized(answered, invited),
    )


def compare_respondents(source: Store | Engine, survey: str, min_n: int = 30) -> RespondentComparison:
    """The survey's respondents against its invited customers and against the customer base active
    while it invited: the share of each segment, mean tenure (years) and value, and the share with a recent
    incident (an unresolved or missed interaction in the INCIDENT_DAYS before the invitation; for the base,
    before the last invitation); each with the standardized difference (Cohen's d, or its analogue for a
    share) of respondents from the base and from the invited. Customer invitations only."""
    with engine_of(source) as engine:
        invited, base = _groups(engine, survey)
        has_interactions = int(engine.table("interactions").count().execute()) > 0
    answered = invited[invited["answered"].astype(bool)]
    totals = [
        frame.drop(columns=["segment", "answered"], errors="ignore").sum()
        for frame in (base, invited, answered)
    ]
    rows = []
    for segment in sorted(set(base["segment"]) | set(invited["segment"])):
        shares = [
            _share(float(frame.loc[frame["segment"] == segment, "n"].sum()), float(total["n"]))
            for frame, total in zip((base, invited, answered), totals, strict=True)
        ]
        rows.append(_balance("segment", str(segment), "share", shares))
    for name, label in (("tenure", "tenure (years)"), ("amount", "value")):
        if all(float(t[f"{name}_n"]) for t in totals):  # a CRM without start dates has no tenure to compare
            rows.append(_balance(label, None, "mean", [_mean_sd(t, name) for t in totals]))
    if has_interactions:  # no interactions at all: no incidents to compare, rather than 0% everywhere
        incidents = [_share(float(t["incident"]), float(t["n"])) for t in totals]
        rows.append(_balance(f"recent incident ({INCIDENT_DAYS} days)", None, "share", incidents))
    counts = [int(t["n"]) for t in totals]
    return RespondentComparison(survey, counts[0], counts[1], counts[2], tuple(rows), min_n)
