"""Churn risk and health in one call, on a flat file or on the store."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cxgap.churn.data import ChurnData, data_end, store_features
from cxgap.churn.explain import reasons, revenue_at_risk
from cxgap.churn.health import HealthModel, calibrate, health_model
from cxgap.churn.model import FittedClassifier, ModelScore, fit_classifier, score
from cxgap.churn.schemas import HealthPoint, RiskReport
from cxgap.churn.slice import Explainer, health_explained, segment_health
from cxgap.churn.survival import SurvivalModel, fit_survival
from cxgap.config import HealthWeight, Settings
from cxgap.engine import Engine
from cxgap.errors import CxgapError

REASONS_FOR = 1_000  # the riskiest customers get their reasons in words


def _scored(
    data: ChurnData, fitted: FittedClassifier, health: HealthModel, survival: SurvivalModel | None
) -> pd.DataFrame:
    risk = fitted.risk(data.features)
    scores = health.scores(data.features)
    frame = (
        pd.DataFrame(
            {
                "customer_id": data.ids,
                "segment": data.segment if data.segment is not None else None,
                "risk": risk,
                "health": scores,
                "health_churn_probability": health.churn_probability(scores),
                "revenue": data.revenue if data.revenue is not None else np.nan,
            }
        )
        .sort_values("risk", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    top = frame.index[: min(REASONS_FOR, len(frame))]
    rows = pd.Index(data.ids).get_indexer(frame.loc[top, "customer_id"])
    frame["reasons"] = ""
    frame.loc[top, "reasons"] = reasons(
        fitted.baseline, data.features[fitted.columns].iloc[rows].reset_index(drop=True)
    )
    if survival is not None and data.horizon_days:
        order = pd.Index(data.ids).get_indexer(frame["customer_id"])
        churn = survival.churn_within(data.features.iloc[order].reset_index(drop=True), data.horizon_days)
        frame["survival_churn_probability"] = churn
    frame["health_why"] = ""
    frame.loc[top, "health_why"] = health_explained(health, data.features.iloc[rows].reset_index(drop=True))
    return frame


def _fit(
    training: ChurnData, weights: dict[str, HealthWeight], seed: int, confidence: float
) -> tuple[FittedClassifier, HealthModel, ModelScore, SurvivalModel | None]:
    """The classifier, the health score calibrated on the training customers and judged on the held-out
    ones, and the survival model, all on the same split."""
    fitted = fit_classifier(training, seed=seed, confidence=confidence)
    train, test = fitted.train, fitted.test
    health = health_model(training.features.iloc[train], weights)
    calibrate(health, health.scores(training.features.iloc[train]), training.churned[train])
    held = health.scores(training.features.iloc[test])
    judged = score(
        "health score (lower = riskier)", training.churned[test], health.churn_probability(held), confidence
    )
    survival = fit_survival(training, train, test, confidence)
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
    fitted, health, judged, survival = _fit(training, weights, seed, confidence)
    scored = _scored(current, fitted, health, survival)
    risk = fitted.risk(current.features)
    segments = segment_health(health.scores(current.features), current.segment, confidence)
    trend = [
        HealthPoint(snapshot.as_of.date(), s.segment, s.mean)
        for snapshot in earlier or ()
        if snapshot.as_of is not None
        for s in segment_health(health.scores(snapshot.features), snapshot.segment, confidence)
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
        history=_history(health, earlier),
        explainer=_explainer(fitted, health, current, scored),
    )


def _history(health: HealthModel, earlier: tuple[ChurnData, ...] | None) -> pd.DataFrame | None:
    """Each earlier snapshot's health per customer, compactly (a slice's trend is read from it)."""
    frames = [
        pd.DataFrame(
            {
                "customer_id": snapshot.ids,
                "as_of": np.full(snapshot.n, np.datetime64(snapshot.as_of, "s")),
                "segment": snapshot.segment if snapshot.segment is not None else "all customers",
                "health": health.scores(snapshot.features).astype(np.float32),
            }
        )
        for snapshot in earlier or ()
        if snapshot.as_of is not None
    ]
    if not frames:
        return None
    history = pd.concat(frames, ignore_index=True)
    return history.astype({"customer_id": "category", "segment": "category"})


def _explainer(
    fitted: FittedClassifier, health: HealthModel, current: ChurnData, scored: pd.DataFrame
) -> Explainer:
    """The models and the current customers' features in the scored table's order (riskiest first)."""
    order = pd.Index(current.ids).get_indexer(scored["customer_id"])
    features = current.features.iloc[order].reset_index(drop=True).astype(np.float32)
    return Explainer(fitted.baseline, tuple(fitted.columns), health, features)


def file_risk(
    data: ChurnData, weights: dict[str, HealthWeight], seed: int = 0, confidence: float = 0.95
) -> RiskReport:
    """Churn models and health on a flat file: judged on held-out customers, then everyone scored."""
    if not weights:
        raise CxgapError("The health score needs [health] weights in the mapping (one per component).")
    return _report(data, data, weights, seed, confidence)


def _store_needs(engine: Engine, end: dt.datetime | None) -> str | None:
    """What the store lacks for a churn model, in one sentence (None when nothing is missing): customers;
    which of them churned and when (the labels); dated activity to learn from (the features' clock)."""
    c = engine.table("customers")
    counts = c.aggregate(
        n=c.count(),
        churned=c.count(where=c.churned),
        dated=c.count(where=c.churned & c.ended_at.notnull()),
    ).execute()
    n, churned, dated = (int(counts[k].iloc[0] or 0) for k in ("n", "churned", "dated"))
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
    training = store_features(engine, settings, as_of, horizon)
    events = int(training.churned.sum())
    if events < 10 or training.n - events < 10:
        raise CxgapError(
            f"A churn model needs at least 10 customers who churned within {horizon} days after "
            f"{as_of:%Y-%m-%d} (one horizon before the store's last activity) and 10 who stayed; the store "
            f"has {events:,} churned of {training.n:,} customers active then."
        )
    current = store_features(engine, settings, end, horizon)
    earlier = tuple(
        store_features(engine, settings, end - dt.timedelta(days=30.44 * months), horizon)
        for months in range(trend_months - 1, 0, -1)
    )
    return _report(training, current, settings.health.components, seed, confidence, earlier)
