"""The customer health score: transparent components and weights, explained component by component.

Each component is the customer's percentile among a reference population on one feature (turned round
where less is healthier; unknown counts as 50), and the score is the weighted mean, 0-100. Nothing is
learned, so a CX lead can say why a customer scores 34; how well the score separates churners from
stayers is measured on held-out customers, and an isotonic map turns a score into a churn probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from cxgap.churn.data import RISK_DIRECTION
from cxgap.config import HealthWeight
from cxgap.errors import CxgapError


@dataclass
class HealthModel:
    """Components, weights and the reference distribution each percentile is read against."""

    weights: dict[str, HealthWeight]
    reference: dict[str, np.ndarray]  # sorted known values per component
    calibration: IsotonicRegression | None = None
    _tables: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def _table(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A component's distinct reference values (levels) and its value, 0-100, wherever a customer's value
        can fall among them: at 2i, between level i-1 and level i (below all levels at 0, above all at 2L);
        at 2i+1, on level i. Percentiles are mid-ranks (ties share them), so a million customers' components
        are one search among a few levels and one look-up, not arithmetic per customer."""
        known = self.__dict__.setdefault("_tables", {})  # a model pickled before this cache existed lacks it
        if name not in known:
            levels, counts = np.unique(self.reference[name], return_counts=True)
            below_level = np.concatenate([[0], np.cumsum(counts)])
            places = np.arange(2 * len(levels) + 1)
            at, on = places // 2, places % 2
            share = (below_level[at] + below_level[at + on]) / (2 * below_level[-1])
            share = share if self.weights[name].healthier == "higher" else 1 - share
            known[name] = (levels, 100 * share)
        return known[name]  # type: ignore[no-any-return]

    def components(self, features: pd.DataFrame) -> pd.DataFrame:
        """Each component, 0-100 (100 = healthiest), per customer."""
        return pd.DataFrame(self._components(features), index=features.index)

    def _components(self, features: pd.DataFrame) -> dict[str, np.ndarray]:
        """`components` as arrays (the score of a million customers needs no frame); unknown is 50."""
        out = {}
        for name in self.weights:
            values = features[name].to_numpy(dtype=float)
            if len(self.reference[name]) == 0:
                out[name] = np.full(len(values), 50.0)
                continue
            levels, table = self._table(name)
            place = np.searchsorted(levels, values, side="left")
            on = levels.take(place, mode="clip") == values  # NaN and values above every level: never on one
            place *= 2
            place += on
            component = table.take(place)
            component[np.isnan(values)] = 50.0
            out[name] = component
        return out

    def scores(self, features: pd.DataFrame) -> np.ndarray:
        """The weighted mean of the components, 0-100."""
        parts = self._components(features)
        total = sum(spec.weight for spec in self.weights.values())
        weighted: np.ndarray | int = 0
        for name, spec in self.weights.items():
            weighted = weighted + parts[name] * spec.weight
        return np.asarray(weighted / total)

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """How many points each component adds to or takes from a neutral 50, per customer (they sum to
        the score minus 50)."""
        parts = self.components(features)
        total = sum(spec.weight for spec in self.weights.values())
        return pd.DataFrame(
            {n: (parts[n] - 50) * s.weight / total for n, s in self.weights.items()}, index=features.index
        )

    def churn_probability(self, scores: np.ndarray) -> np.ndarray:
        """A score's churn probability within the horizon, from the isotonic calibration."""
        if self.calibration is None:
            raise CxgapError("The health score has not been calibrated against churn yet.")
        return np.asarray(self.calibration.predict(scores))


def health_model(features: pd.DataFrame, weights: dict[str, HealthWeight]) -> HealthModel:
    """A health model whose percentiles are read against `features` (the training customers). A component
    this store cannot measure (incident counts where cxgap.toml names no incidents) is left out, the others
    keep their weights; a name that is no feature at all is refused."""
    unknown = [name for name in weights if name not in features.columns and name not in RISK_DIRECTION]
    if unknown:
        raise CxgapError(
            f"Health component '{unknown[0]}' is not among the features ({', '.join(features.columns)})."
        )
    weights = {name: spec for name, spec in weights.items() if name in features.columns}
    if not weights:
        raise CxgapError(
            "None of the health components can be measured in this store; see [health.components] in cxgap.toml."
        )
    reference = {name: np.sort(features[name].dropna().to_numpy(dtype=float)) for name in weights}
    return HealthModel(dict(weights), reference)


def calibrate(model: HealthModel, scores: np.ndarray, churned: np.ndarray) -> HealthModel:
    """Fit the score -> churn probability map (decreasing: healthier churns less)."""
    model.calibration = IsotonicRegression(increasing=False, out_of_bounds="clip").fit(scores, churned)
    return model
