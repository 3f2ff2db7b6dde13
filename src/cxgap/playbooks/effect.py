"""Did the playbook work? Its treated customers against its holdout, with the experiments module."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from cxgap.engine import Engine
from cxgap.errors import CxgapError
from cxgap.experiments import ExperimentResult, experiment
from cxgap.store import Store


def playbook_assignments(store: Store, playbook: str) -> pd.DataFrame:
    """The playbook's customers as experiment assignments: treated -> treatment, holdout -> control."""
    sql = "SELECT customer_id, arm FROM playbook_assignments WHERE playbook = :name ORDER BY assigned_at"
    with store.engine.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(sa.text(sql), {"name": playbook}).all(), columns=["customer_id", "arm"]
        )
    if frame.empty:
        raise CxgapError(f"Playbook '{playbook}' has assigned nobody yet; run `cxgap playbooks run` first.")
    frame = frame.drop_duplicates(
        "customer_id", keep="first"
    )  # a customer's first assignment decides the arm
    frame["group"] = frame["arm"].map({"treated": "treatment", "holdout": "control"})
    return frame[["customer_id", "group"]]


def playbook_effect(
    store: Store,
    engine: Engine,
    playbook: str,
    metric: str = "churn",
    min_n: int = 30,
    confidence: float = 0.95,
) -> ExperimentResult:
    """Treated customers against the holdout on `metric` (churn, nps, csat, ...), with a decision in words."""
    return experiment(
        engine, playbook_assignments(store, playbook), metric, min_n=min_n, confidence=confidence
    )
