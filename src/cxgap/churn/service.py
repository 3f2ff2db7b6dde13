"""Churn risk and health in one call, on a flat file or on the store."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from cxgap.churn.data import ChurnData, Moment, data_end, store_snapshots
from cxgap.churn.explain import reasons, revenue_at_risk
from cxgap.churn.health import HealthModel, calibrate, health_model
from cxgap.churn.model import TEST_SHARE, FittedClassifier, ModelScore, fit_classifier_beside, score, split
from cxgap.churn.schemas import HealthPoint, RiskReport
from cxgap.churn.slice import Explainer, health_explained, segment_health
from cxgap.churn.survival import SurvivalModel, fit_survival, quiet_cox
from cxgap.churn.threads import one_thread, scoring_threads, side_by_side
from cxgap.config import HealthWeight, Settings
from cxgap.engine import Engine, whole
from cxgap.errors import CxgapError

REASONS_FOR = 1_000  # the riskiest customers get their reasons in words


def _scored(
    data: ChurnData,
    fitted: FittedClassifier,
    health: HealthModel,
    survival: SurvivalModel | None,
    risk: np.ndarray,
    scores: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every customer riskiest first (and that order as row numbers of `data`): risk, health, revenue and,
    for the riskiest REASONS_FOR, the reasons in words (only they are shown or kept with reasons)."""
    order = np.argsort(-risk, kind="stable")  # riskiest first, ties in row order (pandas' stable sort)
    texts = data.shared.texts(order) if data.shared is not None else None
    ids, segment = texts or (data.ids[order], _labels(data.segment, order))
    frame = pd.DataFrame(
        {
            "customer_id": ids,
            "segment": segment,
            "risk": risk[order],
            "health": scores[order],
            "health_churn_probability": health.churn_probability(scores)[order],
            "revenue": data.revenue[order] if data.revenue is not None else np.nan,
        }
    )
    top = order[: min(REASONS_FOR, len(order))]
    explained = data.features.iloc[top].reset_index(drop=True)
    frame["reasons"] = ""
    frame.loc[: len(top) - 1, "reasons"] = reasons(fitted.baseline, explained[fitted.columns])
    if survival is not None and data.horizon_days:
        churn = survival.churn_within(data.features, data.horizon_days)
        frame["survival_churn_probability"] = churn[order]
    frame["health_why"] = ""
    frame.loc[: len(top) - 1, "health_why"] = health_explained(health, explained)
    return frame, order


def _labels(segment: np.ndarray | pd.Categorical[Any] | None, order: np.ndarray) -> np.ndarray | None:
    """The segments at `order` as plain values (the scored table's column), None without segments."""
    return np.asarray(segment[order], dtype=object) if segment is not None else None


def _fit(
    training: ChurnData, weights: dict[str, HealthWeight], seed: int, confidence: float
) -> tuple[FittedClassifier, HealthModel, ModelScore, SurvivalModel | None]:
    """The classifier, the health score calibrated on the training customers and judged on the held-out
    ones, and the survival model, all on the same split; the health score and the Cox model are fitted
    beside the classifier's folds and refits (each fit keeps to one thread, see fit_classifier_beside)."""
    train, test = split(training, TEST_SHARE, seed)

    def others() -> tuple[HealthModel, ModelScore, SurvivalModel | None]:
        with one_thread():  # a new thread starts without the caller's limit
            health = health_model(training.features.iloc[train], weights)
            calibrate(health, health.scores(training.features.iloc[train]), training.churned[train])
            held = health.scores(training.features.iloc[test])
            probability = health.churn_probability(held)
            judged = score("health score (lower = riskier)", training.churned[test], probability, confidence)
            return health, judged, fit_survival(training, train, test, confidence)

    # On threads, lifelines' filter goes in before any starts (see quiet_cox); on one, the Cox fit's own
    # does, for the Cox fit alone (the server computes views side by side: a short swap of the list)
    with quiet_cox() if scoring_threads() > 1 else nullcontext():
        fitted, (health, judged, survival) = fit_classifier_beside(
            training, (train, test), others, seed, confidence
        )
    return fitted, health, judged, survival


def _report(
    training: ChurnData,
    current: ChurnData,
    weights: dict[str, HealthWeight],
    seed: int,
    confidence: float,
    earlier: tuple[ChurnData, ...] | None = None,
) -> RiskReport:
    """Fit on `training`, score `current`; health per segment now and at each `earlier` snapshot (the
    trend, ending with now; None: no trend), all read with the same health model."""
    with one_thread():
        fitted, health, judged, survival = _fit(training, weights, seed, confidence)
        risk, scores = fitted.risk(current.features), health.scores(current.features)
        scored, order = _scored(current, fitted, health, survival, risk, scores)
    segments = segment_health(scores, current.segment, confidence)
    snapshots = list(earlier or ())
    then = list(zip(snapshots, side_by_side(lambda s: health.scores(s.features), snapshots), strict=True))
    trend = [
        HealthPoint(snapshot.as_of.date(), s.segment, s.mean)
        for snapshot, past in then
        if snapshot.as_of is not None
        for s in segment_health(past, snapshot.segment, confidence)
    ]
    if earlier is not None and current.as_of is not None:
        trend += [HealthPoint(current.as_of.date(), s.segment, s.mean) for s in segments]
    return RiskReport(
        horizon_days=training.horizon_days or 0,
        trained_as_of=training.as_of,
        scored_as_of=current.as_of,
        n_train=len(fitted.train),
        n_test=len(fitted.test),
        churn_rate=float(training.churned.mean()),
        classifier=fitted.name,
        cv_auc=fitted.cv_auc,
        model=fitted.chosen,
        baseline=fitted.baseline_score,
        health=judged,
        survival=survival,
        revenue=tuple(revenue_at_risk(risk, current.revenue, current.segment, confidence)),
        segments=segments,
        trend=tuple(trend),
        scored=scored,
        health_components={name: spec.weight for name, spec in weights.items()},
        earlier_health=HealthHistory([(replace(s, features=NO_FEATURES), past) for s, past in then]),
        explainer=Explainer(
            fitted.baseline,
            tuple(fitted.columns),
            health,
            current.features.iloc[order].reset_index(drop=True).astype(np.float32),
        ),
    )


NO_FEATURES = pd.DataFrame()  # an earlier snapshot kept for its health history needs no features


class HealthHistory:
    """The earlier snapshots' health per customer as one frame (`_history`), built on first read and kept;
    a pickled history carries the frame, never the snapshots."""

    def __init__(self, then: list[tuple[ChurnData, np.ndarray]]) -> None:
        self._then: list[tuple[ChurnData, np.ndarray]] | None = then
        self._frame: pd.DataFrame | None = None

    def frame(self) -> pd.DataFrame | None:
        """The history (None without earlier snapshots)."""
        then = self._then  # read once: views of the server may ask at the same time (each builds it)
        if then is not None:
            self._frame = _history(then)
            self._then = None
        return self._frame

    def __getstate__(self) -> dict[str, Any]:
        return {"_then": None, "_frame": self.frame()}


def _history(then: list[tuple[ChurnData, np.ndarray]]) -> pd.DataFrame | None:
    """Each earlier snapshot's health per customer, compactly (a slice's trend is read from it): ids and
    segments as categories, built once from all snapshots together."""
    kept = [(snapshot, scores) for snapshot, scores in then if snapshot.as_of is not None]
    if not kept:
        return None
    ids, segments = _history_codes([s for s, _ in kept])
    return pd.DataFrame(
        {
            "customer_id": ids,
            "as_of": np.concatenate([np.full(s.n, np.datetime64(s.as_of, "s")) for s, _ in kept]),
            "segment": segments,
            "health": np.concatenate([scores.astype(np.float32) for _, scores in kept]),
        }
    )


def _history_codes(snapshots: list[ChurnData]) -> tuple[pd.Categorical, pd.Categorical]:
    """The snapshots' ids and segments, one after the other, as categories. Snapshots of one engine pass
    (store_snapshots) share its sorted, distinct ids, so their codes are their row numbers there (millions
    of ids are not hashed again); otherwise the values themselves are categorised."""
    first = snapshots[0].shared
    if first is not None and all(s.shared is not None and s.shared.ids is first.ids for s in snapshots):
        rows = np.concatenate([s.shared.rows for s in snapshots if s.shared is not None])
        distinct = pd.Index(first.ids)
        if distinct.is_unique and distinct.is_monotonic_increasing:
            ids = pd.Categorical.from_codes(rows, categories=distinct).remove_unused_categories()
            segment = pd.Categorical(first.segment).take(rows).remove_unused_categories()
            return ids, segment
    ids = pd.Categorical(np.concatenate([s.ids for s in snapshots]))
    labels = [s.segment if s.segment is not None else np.full(s.n, "all customers") for s in snapshots]
    return ids, pd.Categorical(np.concatenate(labels))


def file_risk(
    data: ChurnData, weights: dict[str, HealthWeight], seed: int = 0, confidence: float = 0.95
) -> RiskReport:
    """Churn models and health on a flat file: learnt from every customer and judged on held-out ones, then
    only the current customers (outcome 0) scored, ranked and counted in revenue at risk and health: a
    customer who already churned is no longer at risk of it (the store, too, scores its active ones)."""
    if not weights:
        raise CxgapError("The health score needs [health] weights in the mapping (one per component).")
    current = _still_customers(data)
    report = _report(data, current, weights, seed, confidence)
    return replace(report, selection=f"{current.n:,} current customers", already_churned=data.n - current.n)


def _still_customers(data: ChurnData) -> ChurnData:
    """The customers of a file whose outcome says they are still customers, every column taken alike."""
    rows = np.flatnonzero(data.churned == 0)
    return replace(
        data,
        ids=data.ids[rows],
        features=data.features.iloc[rows].reset_index(drop=True),
        churned=data.churned[rows],
        duration=None if data.duration is None else data.duration[rows],
        revenue=None if data.revenue is None else data.revenue[rows],
        segment=None if data.segment is None else data.segment[rows],
    )


def _store_needs(engine: Engine, end: dt.datetime | None) -> str | None:
    """What the store lacks for a churn model, in one sentence (None when nothing is missing): customers;
    which of them churned and when (the labels); dated activity to learn from (the features' clock)."""
    c = engine.table("customers")
    counts = c.aggregate(
        n=c.count(),
        churned=c.count(where=c.churned),
        dated=c.count(where=c.churned & c.ended_at.notnull()),
    ).execute()
    n, churned, dated = (whole(counts[k].iloc[0]) for k in ("n", "churned", "dated"))
    if n == 0:
        return (
            "Churn risk needs your customers, and the customers table is empty: import the CRM table first "
            "(cxgap import FILE --mapping MAPPING)."
        )
    needs = []
    if churned == 0:
        needs.append(f"which customers churned (none of the {n:,} customers is marked as churned)")
    elif dated == 0:
        needs.append(
            f"when customers churned (none of the {churned:,} churned customers has an end date, "
            "customers.ended_at)"
        )
    if end is None:
        undated = int(engine.table("feedback").count().execute())
        needs.append(
            "dated activity to learn from (interactions, survey answers or dated feedback"
            + (f"; the {undated:,} feedback rows have no date)" if undated else "; the store has none)")
        )
    if not needs:
        return None
    return f"Churn risk cannot be modelled on this store yet: it needs {' and '.join(needs)}."


def store_risk(engine: Engine, settings: Settings, seed: int = 0, trend_months: int = 6) -> RiskReport:
    """Train on what was known one horizon before the store's last data (labels: who churned since),
    then score every customer active now; health per segment now and at the ends of earlier months.

    Raises one sentence naming the missing data when the store cannot support a churn model (no
    customers, no churn or churn dates, no dated activity, too few churners in the training window)."""
    end = data_end(engine)
    needs = _store_needs(engine, end)
    if needs is not None or end is None:
        raise CxgapError(needs or "Churn risk needs dated activity to learn from; the store has none.")
    horizon = settings.health.horizon_days
    confidence = settings.analysis.confidence
    as_of = end - dt.timedelta(days=horizon)
    months = [end - dt.timedelta(days=30.44 * m) for m in range(trend_months - 1, 0, -1)]
    components = tuple(settings.health.components)
    moments = [Moment(as_of), Moment(end)] + [Moment(at, components) for at in months]
    training, current, *earlier = store_snapshots(engine, settings, moments, horizon)
    events = int(training.churned.sum())
    if events < 10 or training.n - events < 10:
        raise CxgapError(
            f"A churn model needs at least 10 customers who churned within {horizon} days after "
            f"{as_of:%Y-%m-%d} (one horizon before the store's last activity) and 10 who stayed; the store "
            f"has {events:,} churned of {training.n:,} customers active then."
        )
    return _report(training, current, settings.health.components, seed, confidence, tuple(earlier))
