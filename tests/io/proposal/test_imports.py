"""The proposed mappings import what they were proposed for, with no manual edit: every export fixture on
both backends, the items survey with N/A codes, and the shared real sets with the same counts as the
hand-written examples."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from cxgap.io import ImportSummary, import_file, load_mapping
from cxgap.io.proposal import propose
from cxgap.store import Store

from .exports import export

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _import(store: Store, path: Path, folder: Path) -> ImportSummary:
    """Propose for `path`, write the proposal into `folder`, import through the written mapping as is."""
    mapping = propose([path]).write(folder)[0]
    return import_file(store, path, load_mapping(mapping))


def _one(store: Store, sql: str) -> object:
    with store.engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


@pytest.mark.parametrize(
    ("name", "table", "rows", "items"),
    [
        ("qualtrics_relationship.csv", "responses", 12, 36),
        ("surveymonkey_support.csv", "responses", 10, 0),
        ("surveymonkey_servqual.csv", "responses", 12, 12 * 4),
        ("typeform_effort.csv", "responses", 10, 0),
        ("formbricks_app.csv", "responses", 8, 0),
        ("zendesk_tickets.csv", "feedback", 10, 0),
        ("crm_customers.csv", "customers", 12, 0),
    ],
)
def test_each_export_imports_completely_through_its_proposed_mapping(
    store: Store, tmp_path: Path, name: str, table: str, rows: int, items: int
) -> None:
    summary = _import(store, export(name), tmp_path)
    assert summary.table == table
    counts = (summary.rows_read, summary.rows_loaded, summary.rows_quarantined)
    assert counts == (rows, rows, 0), summary.problems
    assert summary.items_loaded == items


def test_imported_values_are_the_exports_meanings(store: Store, tmp_path: Path) -> None:
    _import(store, export("surveymonkey_support.csv"), tmp_path)
    _import(store, export("zendesk_tickets.csv"), tmp_path / "z")
    csat = "SELECT csat FROM responses WHERE response_id = "
    assert _one(store, csat + "'11800000000'") == 5  # Very satisfied
    assert _one(store, csat + "'11800000035'") == 1  # Very dissatisfied
    assert _one(store, "SELECT count(*) FROM feedback WHERE rating IS NULL") == 4  # Offered / Unoffered
    assert _one(store, "SELECT rating FROM feedback WHERE feedback_id = '103'") == 1  # Bad with comment


def test_surveymonkey_matrices_import_as_expectation_and_perception_items(
    store: Store, tmp_path: Path
) -> None:
    summary = _import(store, export("surveymonkey_servqual.csv"), tmp_path)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (12, 12, 0)
    assert _one(store, "SELECT count(*) FROM response_items") == 12 * 4  # 4 matrix rows per respondent
    assert _one(store, "SELECT count(expectation) FROM response_items") == 11 * 4  # one skipped that matrix
    assert _one(store, "SELECT count(perception) FROM response_items") == 12 * 4 - 1  # one N/A
    assert _one(store, "SELECT count(DISTINCT item) FROM response_items") == 4
    punctual = "FROM response_items WHERE item = 'punctual_engineer_visits' AND response_id = '11900000013'"
    assert _one(store, f"SELECT expectation {punctual}") == 6  # 1-7 is the items' own scale
    assert _one(store, f"SELECT perception {punctual}") == 3
    assert _one(store, "SELECT count(comment) FROM responses") == 7


def test_items_survey_with_na_codes_imports_without_quarantine(store: Store, tmp_path: Path) -> None:
    summary = _import(store, export("items_airline.csv"), tmp_path)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (40, 40, 0)
    assert summary.items_loaded == 40 * 4 - 8  # wifi left out where it was 0 (not applicable)
    wifi = "FROM response_items WHERE item = 'inflight_wifi_service'"
    assert _one(store, f"SELECT count(perception) {wifi}") == 32
    assert _one(store, f"SELECT min(perception) {wifi}") >= 1  # type: ignore[operator]  # no 0 became a rating
    assert _one(store, "SELECT count(*) FROM response_items WHERE expectation IS NOT NULL") == 80  # two pairs
    assert _one(store, "SELECT min(nps) FROM responses") == 0  # 1 on 1-11
    assert _one(store, "SELECT max(nps) FROM responses") == 10  # 11 on 1-11
    six = _one(store, "SELECT csat FROM responses WHERE customer_id = 'P5003'")  # 6 on 1-7
    assert six == pytest.approx(1 + 5 / 6 * 4)  # stored exactly, not rounded to 4


def _columns(mapping: Path) -> dict[str, object]:
    data = tomllib.loads(mapping.read_text(encoding="utf-8"))
    return {
        "columns": data["columns"],
        "factors": data.get("factors", {}),
        "constants": data.get("constants", {}),
    }


def test_telco_customers_import_as_the_hand_written_example_does(
    duck_store: Store, tmp_path: Path, shared_data: Callable[[str], Path]
) -> None:
    path = shared_data("telco_customer_churn.csv")
    mapping = propose([path]).write(tmp_path)[0]
    summary = import_file(duck_store, path, load_mapping(mapping))
    # the counts of tests/io/test_real_data.py, imported through the hand-written example
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (7043, 7043, 0)
    assert _columns(mapping) == _columns(EXAMPLES / "telco_customers.toml")
    assert _one(duck_store, "SELECT count(*) FROM customers WHERE churned") == 1869


def test_tripadvisor_reviews_import_as_the_hand_written_example_does(
    duck_store: Store, tmp_path: Path, shared_data: Callable[[str], Path]
) -> None:
    path = shared_data("tripadvisor_hotel_reviews.csv")
    mapping = propose([path]).write(tmp_path)[0]
    summary = import_file(duck_store, path, load_mapping(mapping))
    # the counts of tests/io/test_real_data.py, imported through the hand-written example
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (2000, 2000, 0)
    example = _columns(EXAMPLES / "tripadvisor_reviews.toml")
    assert _columns(mapping)["columns"] == example["columns"]
    assert tomllib.loads(mapping.read_text(encoding="utf-8"))["constants"]["source"] == "review"
