"""The report on what a company imports first (customers without revenue, one quarter of relational NPS
answers, no text): no NaN where money cannot be priced, no embedding model loaded without text, and a trend
message that says why there is no trend (the count and the quarter)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxgap.metrics import Score, ScoreTable
from cxgap.report.trends import trend_finding
from cxgap.stats import Estimate

CUSTOMERS = 'table = "customers"\n\n[columns]\ncustomer_id = "id"\nchurned = "churn"\n'
ANSWERS = """table = "responses"

[columns]
response_id = "id"
customer_id = "customer"
responded_at = "date"
nps = "recommend"

[constants]
survey_kind = "relational"
"""
ANSWERED = 120


def customers_csv() -> str:
    """120 customers, no revenue column; detractors (NPS below 7) churn one in two, the others one in ten."""
    lines = ["id,churn"]
    for k in range(ANSWERED):
        churned = (k % 2 == 0) if k % 10 < 6 else (k % 10 == 9 and k % 20 == 9)
        lines.append(f"C{k},{'Yes' if churned else 'No'}")
    return "\n".join(lines) + "\n"


def answers_csv() -> str:
    """One relational NPS answer per customer, all in 2024 Q3, no comment."""
    lines = ["id,customer,date,recommend"]
    for k in range(ANSWERED):
        lines.append(f"A{k},C{k},2024-{7 + k % 3:02d}-{1 + k % 28:02d},{k % 10 + 1}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def first_report(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """`cxgap report` on the store, with the embedding model's loader made to fail if anything calls it."""
    import cxgap.text.model

    def no_model() -> None:
        raise AssertionError("the embedding model was loaded for a store without text")

    monkeypatch.setattr(cxgap.text.model, "_encoder", no_model)
    (tmp_path / "cxgap.toml").write_text(
        f'[store]\nurl = "duckdb:///{tmp_path / "cxgap.duckdb"}"\n', encoding="utf-8"
    )
    for name, data, mapping in (
        ("customers", customers_csv(), CUSTOMERS),
        ("answers", answers_csv(), ANSWERS),
    ):
        (tmp_path / f"{name}.csv").write_text(data, encoding="utf-8")
        (tmp_path / f"{name}.toml").write_text(mapping, encoding="utf-8")
        assert cli("import", f"{name}.csv", "--mapping", f"{name}.toml").exit_code == 0
    result = cli("report", "--output", "report.html")
    assert result.exit_code == 0, result.stderr
    return (tmp_path / "report.html").read_text(encoding="utf-8")


def _text(html: str) -> str:
    """The report's words: no tags, no charts, whitespace collapsed."""
    html = re.sub(r"<svg.*?</svg>|<style.*?</style>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_first_report_has_no_nan_loads_no_model_and_says_why_there_is_no_trend(first_report: str) -> None:
    text = _text(first_report)
    assert not re.search(r"\bnan\b", text, flags=re.I)
    assert (
        "Not measured in money: what moving detractors or closing a gap is worth needs yearly revenue per customer"
        in text
    )
    assert (
        f"No trend yet: all {ANSWERED:,} relational NPS answers fall in one quarter (2024 Q3): a trend needs "
        "two quarters with at least 30 answers each." in text
    )
    assert "-40 [-54, -26], n=120" in text  # the scores section: relational NPS with its interval
    assert "Not measured: needs feedback texts or survey comments" in text


def _cell(period: str, n: int, value: float | None) -> Score:
    estimate = Estimate(value, value - 10, value + 10, n, 5.1) if value is not None else None
    return Score("nps", {"survey_kind": "relational", "period": period}, n, estimate)


def test_the_trend_says_how_many_periods_had_enough_answers_or_how_a_score_moved() -> None:
    thin = ScoreTable("nps", ("period",), 30, (_cell("2024-01-01", 12, None), _cell("2024-04-01", 45, 20.0)))
    assert trend_finding([thin], "quarter") == (
        "No trend yet: the 57 relational NPS answers spread over 2 quarters and only 2024 Q2 has 30 answers "
        "or more: a trend needs two quarters with at least 30 answers each."
    )
    moved = ScoreTable("nps", ("period",), 30, (_cell("2024-01-01", 40, 10.0), _cell("2024-02-01", 50, 30.0)))
    assert trend_finding([moved], "month") == (
        "Relational NPS moved from +10 [+0, +20] in Jan 2024 to +30 [+20, +40] in Feb 2024."
    )
    assert trend_finding([], "quarter") == "Not measured: no NPS, CSAT or CES answers in this slice yet."
