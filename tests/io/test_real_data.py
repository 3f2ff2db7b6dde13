"""The real public files in ../shared/data import through the shipped example mappings, losing nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from cxgap.io import import_file, load_mapping
from cxgap.store import Store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_telco_customers_import_completely(duck_store: Store, shared_data: Callable[[str], Path]) -> None:
    summary = import_file(
        duck_store, shared_data("telco_customer_churn.csv"), load_mapping(EXAMPLES / "telco_customers.toml")
    )
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (7043, 7043, 0)
    with duck_store.engine.connect() as conn:
        churned = conn.execute(sa.text("SELECT count(*) FROM customers WHERE churned")).scalar_one()
        blank_value = conn.execute(sa.text("SELECT count(*) FROM customers WHERE value IS NULL")).scalar_one()
        revenue = conn.execute(
            sa.text("SELECT revenue FROM customers WHERE customer_id = '7590-VHVEG'")
        ).scalar_one()
    assert churned == 1869  # the IBM file's 26.5% churn
    assert blank_value == 11  # the 11 new customers without TotalCharges
    assert revenue == pytest.approx(29.85 * 12)


def test_tripadvisor_reviews_import_completely_and_only_once(
    duck_store: Store, shared_data: Callable[[str], Path]
) -> None:
    path, mapping = (
        shared_data("tripadvisor_hotel_reviews.csv"),
        load_mapping(EXAMPLES / "tripadvisor_reviews.toml"),
    )
    first = import_file(duck_store, path, mapping)
    again = import_file(duck_store, path, mapping)
    assert (first.rows_read, first.rows_loaded, first.rows_quarantined) == (2000, 2000, 0)
    assert (again.rows_loaded, again.rows_existing) == (0, 2000)
    with duck_store.engine.connect() as conn:
        ratings = dict(conn.execute(sa.text("SELECT rating, count(*) FROM feedback GROUP BY rating")).all())
    assert ratings == {1.0: 173, 2.0: 188, 3.0: 243, 4.0: 593, 5.0: 803}
