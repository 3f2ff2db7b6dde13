"""Impact, drivers and experiments read yes/no columns on PostgreSQL as on DuckDB: the same demo company in both
stores gives the same churn exposure and the same experiment cells."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxgap.config import demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.drivers import drivers
from cxgap.engine import Engine
from cxgap.experiments import cells
from cxgap.impact.exposure import churn_by_exposure
from cxgap.impact.value import churn_per_nps_point
from cxgap.store import Store

pytestmark = pytest.mark.postgres


def test_exposure_churn_drivers_and_experiment_cells_agree_across_backends(
    pg_url: str, tmp_path: Path
) -> None:
    data = simulate(800, seed=9)
    results = []
    for url in (f"duckdb:///{tmp_path / 'd.duckdb'}", pg_url):
        with Store(url) as store:
            write_demo(store, data)
            engine = Engine(store)
            exposure = [(e.exposed.n, round(e.exposed.value, 12)) for e in churn_by_exposure(engine, min_n=5)]
            slope = round(churn_per_nps_point(engine).value, 9)
            arms = pd.DataFrame(
                {"customer_id": [f"C{i:07d}" for i in range(1, 801)], "group": ["control", "treatment"] * 400}
            )
            churn = cells(engine, arms, "churn", None, None)
            promoter = cells(engine, arms, "promoter", None, None)
            key = {
                o: round(drivers(engine, demo_settings(), o, "dimensions", replicates=20).r_squared, 9)
                for o in ("churn", "promoter")
            }
            results.append(
                (
                    exposure,
                    slope,
                    key,
                    {k: (c.n, c.successes, c.total) for k, c in churn.items()},
                    {k: (c.n, c.successes) for k, c in promoter.items()},
                )
            )
    assert results[0] == results[1] and results[0][0]
