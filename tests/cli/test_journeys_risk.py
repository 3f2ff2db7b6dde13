"""`cxgap journeys` and `cxgap risk` on the demo company, and on an empty store."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cxgap import churn
from cxgap.config import demo_config_text

DEMO = demo_config_text() + "\n"  # the demo company's configuration, as `cxgap demo` writes it


def test_journeys_prints_every_measure_with_intervals(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "cxgap.toml").write_text(
        DEMO + f'[store]\nurl = "duckdb:///{tmp_path / "d.duckdb"}"\n', encoding="utf-8"
    )
    assert cli("demo", "--customers", "3000", "--seed", "3", "--no-analysis", "--no-loop").exit_code == 0
    result = cli("journeys")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    for heading in (
        "Incidents per customer journey",
        "Damage to relational NPS",
        "Upstream causes",
        "Asked the same again",
    ):
        assert heading in text
    assert "ordering -> installation" in text and "each incident beyond the first" in text
    one = cli("journeys", "--customer", "C0000001")
    assert one.exit_code == 0 and "The journey of C0000001" in one.stdout and "purchase" in one.stdout
    nobody = cli("journeys", "--customer", "nobody")
    assert nobody.exit_code == 2 and "There is no customer 'nobody'" in nobody.stderr


def test_journeys_on_an_empty_store_says_what_is_missing(cli, tmp_path: Path) -> None:
    (tmp_path / "cxgap.toml").write_text(
        f'[store]\nurl = "duckdb:///{tmp_path / "e.duckdb"}"\n', encoding="utf-8"
    )
    result = cli("journeys")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert text.startswith("The store has no interactions yet, so there are no journeys to follow")
    assert "into the interactions table" in text and "standard" not in text and "┃" not in text


def test_risk_scores_a_file_and_writes_the_scores_and_the_calibration_plot(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_data: Callable[[str], Path]
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    data = shared_data("telco_customer_churn.csv")
    mapping = Path(__file__).resolve().parents[2] / "examples" / "telco_churn.toml"
    result = cli(
        "risk",
        "--file",
        str(data),
        "--mapping",
        str(mapping),
        "--top",
        "3",
        "--out",
        "s.csv",
        "--calibration",
        "c.png",
    )
    assert result.exit_code == 0, result.stderr
    assert "logistic regression (baseline)" in result.stdout and "Revenue at risk" in result.stdout
    assert "revenue at risk (EUR)" in " ".join(result.stdout.split())  # money shows its currency
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    assert len((tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()) == 5175  # current customers
    alone = cli("risk", "--file", str(data))
    assert alone.exit_code == 2 and "--file and --mapping go together" in alone.stderr


def test_risk_on_the_demo_store_lists_the_riskiest_with_reasons(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "cxgap.toml").write_text(
        DEMO + f'[store]\nurl = "duckdb:///{tmp_path / "r.duckdb"}"\n', encoding="utf-8"
    )
    assert cli("demo", "--customers", "3000", "--seed", "3", "--no-analysis", "--no-loop").exit_code == 0
    months: list[int] = []
    real = churn.store_risk

    def store_risk(*args: Any, **kwargs: Any) -> Any:
        months.append(kwargs["trend_months"])
        return real(*args, **kwargs)

    monkeypatch.setattr(churn, "store_risk", store_risk)
    result = cli("risk", "--top", "5")
    assert result.exit_code == 0, result.stderr
    assert "Churn within 90 days" in result.stdout and "Customer health" in result.stdout
    assert "incident" in result.stdout
    as_json = cli("risk", "--top", "2", "--json")
    assert as_json.exit_code == 0, as_json.stderr
    assert len({point["as_of"] for point in json.loads(as_json.stdout)["trend"]}) == 6
    assert months == [1, 6]  # the tables show no health trend, so none is computed; the JSON has it all


def test_risk_on_an_empty_store_is_one_sentence(cli, tmp_path: Path) -> None:
    (tmp_path / "cxgap.toml").write_text(
        f'[store]\nurl = "duckdb:///{tmp_path / "e.duckdb"}"\n', encoding="utf-8"
    )
    result = cli("risk")
    assert result.exit_code == 2
    assert "Churn risk needs your customers, and the customers table is empty" in result.stderr


def test_playbooks_dry_run_changes_nothing_and_a_rerun_opens_none(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxgap.store import Store

    monkeypatch.setenv("COLUMNS", "200")
    url = f"duckdb:///{tmp_path / 'p.duckdb'}"
    (tmp_path / "cxgap.toml").write_text(DEMO + f'[store]\nurl = "{url}"\n', encoding="utf-8")
    assert cli("demo", "--customers", "3000", "--seed", "3", "--no-analysis", "--no-loop").exit_code == 0
    dry = cli("playbooks", "run", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "dry run: nothing written" in dry.stdout and "save_valuable_customers" in dry.stdout
    with Store(url) as store:
        assert store.count("cases") == 0 and store.count("playbook_assignments") == 0
    first = cli("playbooks", "run")
    assert first.exit_code == 0, first.stderr
    with Store(url) as store:
        opened = store.count("cases")
    assert opened > 0
    again = cli("playbooks", "run")
    with Store(url) as store:
        assert store.count("cases") == opened
    assert again.exit_code == 0
    effect = cli("playbooks", "effect", "rescue_at_risk")
    assert effect.exit_code == 2  # a 10% holdout of a small demo is too few to compare, and it says so
    assert "Insufficient data for churn (at least 30 per cell): control all: n=" in effect.stderr
    assert cli("playbooks", "run", "--playbook", "nope").exit_code == 2
