"""Headline scores weighted to the customer base: relational NPS, transactional CSAT and CES of a slice,
each unweighted (n and interval, the figure every page shows) beside its raked figure (effective n, design
effect, interval from the effective n) and the difference.

The base is the customers active during the slice's response period (started before its end, not ended
before its start; a customer marked churned without an end date counts as active, since when they left is
unknown), narrowed to the slice's segment. Its margins are counted by the backend on segment, region, tenure
band at the period's end and value quartile band (value, else revenue); a variable with one category in the
base is left out. Each answer is weighted by its customer's categories: the backend returns the
respondents' category combinations with their counts and score sums, never raw rows. Anonymous answers, and
those from customers outside that base, cannot be weighted: they stay in the unweighted figure and are
counted.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Any

import ibis
import pandas as pd

from cxgap.config import Settings
from cxgap.engine import ALL, Engine, Filters
from cxgap.errors import CxgapError
from cxgap.metrics import Score
from cxgap.metrics.compute import scores as score_cells
from cxgap.stats import Estimate
from cxgap.store import Store
from cxgap.surveys.weighting import Weights, rake, weighted_mean, weighted_nps

SCORES = (("nps", "relational"), ("csat", "transactional"), ("ces", "transactional"))
VARIABLES = ("segment", "region", "tenure", "value_band")
UNKNOWN = "unknown"
TENURE = ((1, "under 1 year"), (3, "1 to 3 years"))  # years before the period's end; else "3 years or more"
VALUE_BANDS = ("Q1 (lowest value)", "Q2", "Q3", "Q4 (highest value)")
QUARTILES = (0.25, 0.5, 0.75)
TRIM = (0.2, 5.0)  # weights are kept within these multiples of their mean (then re-raked)
TOL = 1e-10  # raking stops once every weighted share is this close to the base's (cells are few: cheap)


@dataclass(frozen=True)
class WeightedScore:
    """One headline score unweighted and weighted to the base; `reason` says why there is no weighted
    figure (no answers, too few, or a base category without respondents)."""

    metric: str
    survey_kind: str
    unweighted: Score | None
    weighted: Estimate | None
    respondents: int
    not_weighted: int
    effective_n: float | None = None
    design_effect: float | None = None
    converged: bool | None = None
    iterations: int = 0
    reason: str | None = None

    @property
    def difference(self) -> float | None:
        """Weighted minus unweighted (NPS points, means on their scale), where both exist."""
        u = self.unweighted.estimate if self.unweighted else None
        if u is None or self.weighted is None or math.isnan(self.weighted.value):
            return None
        return self.weighted.value - u.value

    def figure(self) -> str:
        """The weighted score in words, e.g. '+21 [+15, +27], effective n=812 (design effect 1.31)', or
        why there is none."""
        e = self.weighted
        if e is None or self.effective_n is None:
            return self.reason or "not weighted"
        if self.metric == "nps":
            shown = f"{e.value:+.0f} [{e.low:+.0f}, {e.high:+.0f}]"
        else:
            shown = f"{e.value:.2f} [{e.low:.2f}, {e.high:.2f}]"
        return f"{shown}, effective n={self.effective_n:,.0f} (design effect {self.design_effect:.2f})"

    def difference_figure(self) -> str | None:
        """Weighted minus unweighted in words, e.g. '-25 points' (NPS) or '-0.38' (means)."""
        d = self.difference
        if d is None:
            return None
        return f"{d:+.0f} points" if self.metric == "nps" else f"{d:+.2f}"

    def as_dict(self) -> dict[str, Any]:
        """The weighted score as plain values (JSON): figure, value and interval, respondents weighted and
        not, effective n, design effect, the difference to unweighted, and why there is no figure."""
        e = self.weighted
        return {
            "figure": self.figure(),
            "value": e.value if e else None,
            "low": e.low if e else None,
            "high": e.high if e else None,
            "respondents": self.respondents,
            "not_weighted": self.not_weighted,
            "effective_n": self.effective_n,
            "design_effect": self.design_effect,
            "difference": self.difference,
            "reason": self.reason,
        }

    def note(self) -> str | None:
        """The answers left out of the weighting, in words, if any."""
        if not self.not_weighted:
            return None
        many = "answer is" if self.not_weighted == 1 else "answers are"
        return f"{self.not_weighted:,} anonymous or unmatched {many} not weighted"


@dataclass(frozen=True)
class WeightedScores:
    """The slice's headline scores weighted to its customer base, and the base they were weighted to."""

    scores: tuple[WeightedScore, ...]
    variables: tuple[str, ...]
    margins: dict[str, dict[str, float]]
    period: tuple[dt.date, dt.date] | None
    base_customers: int

    def get(self, metric: str) -> WeightedScore | None:
        """The weighted score of `metric` (nps, csat, ces)."""
        return next((s for s in self.scores if s.metric == metric), None)

    def describe(self) -> str:
        """What the answers were weighted to, in one sentence."""
        if self.period is None:
            return "No survey answers in this slice to weight."
        if not self.variables:
            return "No customer base to weight to in this slice."
        first, end = self.period
        last = end - dt.timedelta(days=1)
        return (
            f"Weighted to {self.base_customers:,} customers active {first:%Y-%m-%d} to {last:%Y-%m-%d} "
            f"by {', '.join(v.replace('_', ' ') for v in self.variables)}."
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per score: unweighted n and interval beside weighted, with effective n, design effect
        and the difference."""
        nan = float("nan")
        rows = []
        for s in self.scores:
            u = s.unweighted.estimate if s.unweighted else None
            w = s.weighted
            rows.append(
                {
                    "metric": s.metric,
                    "survey_kind": s.survey_kind,
                    "n": s.unweighted.n if s.unweighted else 0,
                    "value": u.value if u else nan,
                    "low": u.low if u else nan,
                    "high": u.high if u else nan,
                    "weighted_n": s.respondents,
                    "not_weighted": s.not_weighted,
                    "effective_n": s.effective_n if s.effective_n is not None else nan,
                    "design_effect": s.design_effect if s.design_effect is not None else nan,
                    "weighted_value": w.value if w else nan,
                    "weighted_low": w.low if w else nan,
                    "weighted_high": w.high if w else nan,
                    "difference": s.difference if s.difference is not None else nan,
                    "status": s.reason or "ok",
                }
            )
        return pd.DataFrame(rows)


def _slice(engine: Engine, filters: Filters, survey: str | None) -> Any:
    r = filters.on_events(
        engine.table("responses"), "responded_at", engine.table("customers"), touchpoint=True
    )
    return r.filter(r.survey == survey) if survey else r


def _period(engine: Engine, filters: Filters, survey: str | None) -> tuple[dt.date, dt.date] | None:
    """[first day, day after the last) of the slice's responses: the filters' months where set, else the
    dates of the first and last answer (None: no answers)."""
    first, end = filters.first_day, filters.end
    if first is None or end is None:
        r = _slice(engine, filters, survey)
        found = r.aggregate(lo=r.responded_at.min(), hi=r.responded_at.max()).execute().iloc[0]
        if pd.isna(found["lo"]):
            return None
        first = first or pd.Timestamp(found["lo"]).date()
        end = end or pd.Timestamp(found["hi"]).date() + dt.timedelta(days=1)
    return first, end


def _bands(engine: Engine, period: tuple[dt.date, dt.date], segment: str | None) -> Any:
    """The active base's customers with their category on each variable (missing: 'unknown')."""
    first, end = period
    c = engine.table("customers")
    c = c.filter(
        (c.started_at.isnull() | (c.started_at < end)) & (c.ended_at.isnull() | (c.ended_at >= first))
    )
    if segment:
        c = c.filter(c.segment == segment)
    quartiles = {
        f"{name}_{i}": c[name].quantile(q) for name in ("value", "revenue") for i, q in enumerate(QUARTILES)
    }
    found = c.aggregate(**quartiles, value_known=c.value.notnull().sum()).execute().iloc[0]
    name = "value" if found["value_known"] else "revenue"
    cuts = [found[f"{name}_{i}"] for i in range(len(QUARTILES))]
    amount = c[name]
    value_band = (
        ibis.cases(
            *((amount <= float(cut), label) for cut, label in zip(cuts, VALUE_BANDS, strict=False)),
            else_=VALUE_BANDS[-1],
        )
        if not any(pd.isna(cut) for cut in cuts)
        else ibis.literal(UNKNOWN)
    )
    tenure = ibis.cases(
        *((c.started_at > _years_before(end, years), label) for years, label in TENURE),
        else_="3 years or more",
    )
    return c.select(
        c.customer_id,
        segment=c.segment.fill_null(UNKNOWN),
        region=c.region.fill_null(UNKNOWN),
        tenure=ibis.ifelse(c.started_at.isnull(), UNKNOWN, tenure),
        value_band=ibis.ifelse(amount.isnull(), UNKNOWN, value_band),
    )


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def base_margins(cells: pd.DataFrame) -> dict[str, dict[str, float]]:
    """The base's share of each category on each variable with two or more categories."""
    margins = {}
    total = float(cells["n"].sum())
    for variable in VARIABLES:
        counts = cells.groupby(variable)["n"].sum()
        if len(counts) > 1:
            margins[variable] = {str(k): float(v) / total for k, v in counts.items()}
    return margins


def _respondent_cells(
    engine: Engine, bands: Any, filters: Filters, survey: str | None, metric: str, kind: str
) -> pd.DataFrame:
    """The answers' category combinations (matched to the base or not) with count and score sums."""
    r = _slice(engine, filters, survey)
    r = r.filter((r.survey_kind == kind) & r[metric].notnull())
    joined = r.left_join(bands, r.customer_id == bands.customer_id)
    joined = joined.mutate(matched=joined.customer_id_right.notnull())
    value = joined[metric]
    if metric == "nps":
        measures = {"promoters": (value >= 9).sum(), "detractors": (value <= 6).sum()}
    else:
        number = value.cast("float64")
        measures = {"total": number.sum(), "total_sq": (number * number).sum()}
    grouped = joined.group_by(["matched", *VARIABLES])
    return pd.DataFrame(grouped.aggregate(n=joined.count(), **measures).execute())


def _weigh(
    metric: str,
    kind: str,
    cells: pd.DataFrame,
    margins: dict[str, dict[str, float]],
    settings: Settings,
    trim: tuple[float, float] | None,
) -> WeightedScore:
    """One score from its answers' cells: unweighted over all of them, raked over those matched to the
    base (trimmed where that still fits the margins, else untrimmed)."""
    a = settings.analysis
    sums = cells.drop(columns=["matched", *VARIABLES]).sum().to_frame().T.assign(survey_kind=kind)
    unweighted = score_cells(metric, sums, ("survey_kind",), a.min_n, a.confidence).scores[0]
    matched = cells[cells["matched"].astype(bool)]
    respondents = int(matched["n"].sum())
    plain = WeightedScore(metric, kind, unweighted, None, respondents, int(cells["n"].sum()) - respondents)
    if not margins:
        return replace(plain, reason="no customer base to weight to")
    if respondents < a.min_n:
        return replace(plain, reason=f"insufficient data to weight, n={respondents:,}")
    try:
        weights = rake(matched, margins, tol=TOL, trim=trim, counts="n")
        if not weights.converged and trim is not None:
            weights = rake(matched, margins, tol=TOL, counts="n")
    except CxgapError as error:
        return replace(plain, reason=str(error))
    if not weights.converged:
        return replace(plain, reason="the weights did not converge to the base's margins")
    return replace(
        plain,
        weighted=_estimate(metric, matched, weights, a.confidence),
        effective_n=weights.effective_n,
        design_effect=weights.design_effect,
        converged=weights.converged,
        iterations=weights.iterations,
    )


def _estimate(metric: str, cells: pd.DataFrame, weights: Weights, confidence: float) -> Estimate:
    if metric == "nps":
        return weighted_nps(weights.weights, cells["n"], cells["promoters"], cells["detractors"], confidence)
    return weighted_mean(weights.weights, cells["n"], cells["total"], cells["total_sq"], confidence)


def weighted_scores(
    source: Store | Engine,
    settings: Settings,
    filters: Filters = ALL,
    survey: str | None = None,
    trim: tuple[float, float] | None = TRIM,
) -> WeightedScores:
    """Relational NPS, transactional CSAT and CES of the slice (of one hosted `survey` if given), each
    unweighted beside raked to the slice's customer base (see the module's docstring)."""
    engine = source if isinstance(source, Engine) else Engine(source)
    try:
        period = _period(engine, filters, survey)
        if period is None:
            empty = tuple(WeightedScore(m, k, None, None, 0, 0, reason="no answers") for m, k in SCORES)
            return WeightedScores(empty, (), {}, None, 0)
        bands = _bands(engine, period, filters.segment)
        base = pd.DataFrame(bands.group_by(list(VARIABLES)).aggregate(n=bands.count()).execute())
        margins = base_margins(base) if len(base) else {}
        out = []
        for metric, kind in SCORES:
            cells = _respondent_cells(engine, bands, filters, survey, metric, kind)
            if not len(cells) or not cells["n"].sum():
                out.append(WeightedScore(metric, kind, None, None, 0, 0, reason="no answers"))
                continue
            out.append(_weigh(metric, kind, cells, margins, settings, trim))
        return WeightedScores(tuple(out), tuple(margins), margins, period, int(base["n"].sum()))
    finally:
        if engine is not source:
            engine.close()
