"""The command line: init, demo, status and help, as a new user meets them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxgap.demo import simulate
from cxgap.store import Store


def test_help_lists_every_command(cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for command in (
        "init",
        "import",
        "demo",
        "status",
        "analyze",
        "report",
        "drivers",
        "impact",
        "experiment",
    ):
        assert command in result.stdout
    assert "customer experience gap" in result.stdout


def test_init_writes_a_valid_starter_and_will_not_overwrite(cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    assert "touchpoints" in (tmp_path / "cxgap.toml").read_text(encoding="utf-8")
    again = cli("init")
    assert again.exit_code == 2 and "cxgap.toml already exists; use --force" in again.stderr
    assert cli("init", "--force").exit_code == 0


EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"


def test_init_from_exports_proposes_a_set_up_that_imports_as_written(cli, tmp_path: Path) -> None:
    survey, crm = EXPORTS / "surveymonkey_support.csv", EXPORTS / "crm_customers.csv"
    result = cli("init", "--from", str(survey), str(crm))
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "responses.csat" in text and "customers.revenue" in text and "not used" in text
    assert "Wrote surveymonkey_support.mapping.toml." in text and "Wrote cxgap.toml." in text
    assert "--dry-run" in text
    for path, mapping in ((crm, "crm_customers.mapping.toml"), (survey, "surveymonkey_support.mapping.toml")):
        imported = cli("import", str(path), "--mapping", mapping)
        assert imported.exit_code == 0, imported.stderr
    store = Store(f"duckdb:///{tmp_path / 'cxgap.duckdb'}")
    assert (store.count("customers"), store.count("responses")) == (12, 10)
    store.close()


def test_init_from_refuses_existing_files_and_bad_input_in_one_sentence(cli, tmp_path: Path) -> None:
    (tmp_path / "cxgap.toml").write_text("# mine\n", encoding="utf-8")
    refused = cli("init", "--from", str(EXPORTS / "typeform_effort.csv"))
    assert refused.exit_code == 2 and "cxgap.toml already exists; use --force" in refused.stderr
    assert not (tmp_path / "typeform_effort.mapping.toml").exists()
    (tmp_path / "empty.csv").write_bytes(b"")
    empty = cli("init", "--from", "empty.csv", "--force")
    assert empty.exit_code == 2 and "empty.csv is empty (0 bytes)" in empty.stderr
    assert "Traceback" not in empty.stderr and len(empty.stderr.strip().splitlines()) == 1
    assert cli("init", "--from").exit_code == 2
    data_file = cli("init", "survey.csv")
    assert data_file.exit_code == 2 and "use cxgap init --from survey.csv" in data_file.stderr


def test_init_from_prints_json_and_csv_for_tools(cli, tmp_path: Path) -> None:
    result = cli("init", "--from", str(EXPORTS / "zendesk_tickets.csv"), "--out", "setup", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["files"][0]["table"] == "feedback" and data["files"][0]["export"] == "zendesk"
    assert (
        data["config"] == str(Path("setup") / "cxgap.toml") and (tmp_path / "setup" / "cxgap.toml").exists()
    )
    assert {c["role"] for c in data["columns"]} >= {"feedback.text", "feedback.rating", "not used"}
    as_csv = cli(
        "init", "--from", str(EXPORTS / "zendesk_tickets.csv"), "--out", "setup", "--force", "--format", "csv"
    )
    assert as_csv.stdout.splitlines()[0] == "file,table,column,role,conversion,evidence"


def test_a_broken_config_is_one_sentence(cli, tmp_path: Path) -> None:
    (tmp_path / "cxgap.toml").write_text("[analysis]\nmin_n = 'many'\n", encoding="utf-8")
    result = cli("status")
    assert result.exit_code == 2
    assert "key 'analysis.min_n' has value 'many'" in " ".join(result.stderr.split())


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_demo_fills_the_configured_store(
    cli, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = (
        f"duckdb:///{tmp_path / 'demo.duckdb'}" if backend == "duckdb" else request.getfixturevalue("pg_url")
    )
    (tmp_path / "cxgap.toml").write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    result = cli("demo", "--customers", "2000", "--seed", "3", "--no-analysis", "--no-loop")
    assert result.exit_code == 0, result.stderr
    expected = simulate(2000, seed=3).rows
    store = Store(url)
    counts = store.counts()
    store.close()
    assert {k: counts[k] for k in expected} == expected
    rerun = cli("demo", "--customers", "1000", "--seed", "3", "--no-analysis", "--no-loop")
    assert rerun.exit_code == 0
    store = Store(url)
    assert store.count("customers") == 1000  # the demo replaces its own earlier data
    store.close()
    assert "customers" in cli("status").stdout


def test_demo_refuses_a_store_holding_imports(cli, tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("Response ID,Date,NPS\nS1,2024-05-01,10\n", encoding="utf-8")
    assert cli("import", "r.csv", "--preset", "survey").exit_code == 0
    result = cli("demo", "--customers", "100", "--no-analysis", "--no-loop")
    assert result.exit_code == 2 and "holds imported data" in result.stderr


@pytest.mark.slow
def test_demo_default_writes_the_store_prints_the_summary_and_writes_the_report(cli, tmp_path: Path) -> None:
    # every default step (loop, summary, report) on 1,000 customers: the report's model fits grow with the
    # customers, and what this test checks (each step runs and says so) does not
    result = cli("demo", "--customers", "1000")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "cxgap.duckdb").exists() and (tmp_path / "cxgap-report.html").exists()
    assert "Where to act first" in result.stdout and "Report written to cxgap-report.html" in result.stdout


def test_report_command_writes_html_and_pngs(cli, tmp_path: Path) -> None:
    assert cli("demo", "--customers", "2000", "--no-analysis", "--no-loop").exit_code == 0
    result = cli("report", "--output", "out/gaps.html", "--png-dir", "charts")
    assert result.exit_code == 0, result.stderr
    page = (tmp_path / "out" / "gaps.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 6 and "Ranked by effect size" in page
    assert len(list((tmp_path / "charts").glob("*.png"))) >= 6
    by_shortfall = cli("report", "--output", "shortfall.html", "--rank", "shortfall")
    assert by_shortfall.exit_code == 0, by_shortfall.stderr
    page = (tmp_path / "shortfall.html").read_text(encoding="utf-8")
    assert "Ranked by the shortfall in scale points" in page and "Ranked by effect size" not in page


def test_analyze_prints_the_headline_where_to_act_first_and_all_six_gaps(cli, tmp_path: Path) -> None:
    assert cli("demo", "--customers", "3000", "--no-analysis", "--no-loop").exit_code == 0
    result = cli("analyze", "--top", "5")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "% of leaders" in text and "believe the experience is superior" in text
    assert "Where to act first" in text
    for kind in ("perception", "knowledge", "design", "implementation", "communication", "customer"):
        assert kind in text


def test_analyze_on_an_empty_store_says_what_each_gap_needs(cli, tmp_path: Path) -> None:
    result = cli("analyze")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert text.count("Not measured") == 6
    assert "a beliefs table" in text and "needs a standards table" in text
