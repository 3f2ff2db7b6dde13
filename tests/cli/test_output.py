"""Output made for people and tools: user text (and a library's message) prints as written, never read as
markup; off a terminal nothing is cut at 80 columns (COLUMNS, when set, still rules); `--format csv|json`
gives what tools can parse; a CSV formatted in parts side by side is the CSV of one pass."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import Result

from cxgap.cli import output
from tests.cli.test_own_config import OWN_FILES

LONG = "online_boarding_and_inflight_entertainment_satisfaction_export_2025_q1"
MARKED = """table = "responses"

[columns]
response_id = "id"
customer_id = "who"
responded_at = "when"
touchpoint = "stage"
channel = "via"
nps = "nps"
comment = "said"

[constants]
survey_kind = "transactional"
"""


@pytest.fixture
def on_store(cli, tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """The CLI on an empty store of either backend, COLUMNS unset (as for a user who never set it)."""
    monkeypatch.delenv("COLUMNS", raising=False)
    (tmp_path / "cxgap.toml").write_text(f'[store]\nurl = "{store_url}"\n', encoding="utf-8")
    return cli


def _imported(run: Callable[..., Result], tmp_path: Path, name: str, data: str, mapping: str) -> None:
    (tmp_path / f"{name}.csv").write_text(data, encoding="utf-8")
    (tmp_path / f"{name}.toml").write_text(mapping, encoding="utf-8")
    result = run("import", str(tmp_path / f"{name}.csv"), "--mapping", str(tmp_path / f"{name}.toml"))
    assert result.exit_code == 0, result.stdout + result.stderr


def test_a_library_message_with_brackets_reaches_the_screen_unchanged(cli, write) -> None:
    write("churn.csv", "Churn,Contract,tenure\nYes,Month-to-month,2\nNo,Two year,40\nNo,Weekly,3\n")
    write(
        "map.toml",
        '[outcome]\ncolumn = "Churn"\nvalues = { Yes = 1, No = 0 }\n\n[drivers]\nlong_contract = "Contract"\n'
        'tenure = "tenure"\n\n[values]\nlong_contract = { "Month-to-month" = 0, "Two year" = 1 }\n',
    )
    result = cli("drivers", "--file", "churn.csv", "--mapping", "map.toml")
    assert result.exit_code == 2
    assert "got 'Weekly' (1 such rows); add it to the mapping's [values]" in " ".join(result.stderr.split())
    assert result.stderr.startswith("error: ") and "\\[" not in result.stderr


def test_user_text_holding_markup_prints_as_written_in_tables(on_store, tmp_path: Path) -> None:
    data = 'id,who,when,stage,via,nps,said\nr1,[red]x[/red],2025-03-01,[b]gate[/b],[blink]web,3,"[red]late[/red] :smile:"\n'
    _imported(on_store, tmp_path, "marked", data, MARKED)
    shown = on_store("journeys", "--customer", "[red]x[/red]")
    assert shown.exit_code == 0, shown.stderr
    assert "The journey of [red]x[/red]" in shown.stdout
    assert "[b]gate[/b]" in shown.stdout and "[blink]web" in shown.stdout
    assert "\\[" not in shown.stdout


def test_a_long_value_survives_off_a_terminal_and_columns_still_rules(
    on_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _imported(on_store, tmp_path, LONG, OWN_FILES["feedback"][0], OWN_FILES["feedback"][1])
    wide = on_store("status")
    assert wide.exit_code == 0 and f"{LONG}.csv" in wide.stdout  # not online_boar...
    assert max(len(line) for line in wide.stdout.splitlines()) > 80
    monkeypatch.setenv("COLUMNS", "80")
    narrow = on_store("status")
    assert narrow.exit_code == 0 and f"{LONG}.csv" not in narrow.stdout
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80


def test_output_redirected_to_a_file_keeps_whole_values(duckdb_url: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cxgap.cli.main import app

    config = tmp_path / "cxgap.toml"
    config.write_text(f'[store]\nurl = "{duckdb_url}"\n', encoding="utf-8")
    data, mapping = tmp_path / f"{LONG}.csv", tmp_path / "feedback.toml"
    data.write_text(OWN_FILES["feedback"][0], encoding="utf-8")
    mapping.write_text(OWN_FILES["feedback"][1], encoding="utf-8")
    imported = CliRunner().invoke(app, ["import", str(data), "-m", str(mapping), "-c", str(config)])
    assert imported.exit_code == 0, imported.stdout
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "CXGAP_CONFIG", "CXGAP_STORE_URL")}
    shown = tmp_path / "status.txt"
    with shown.open("w", encoding="utf-8") as target:  # `cxgap status > status.txt`
        ran = subprocess.run(
            [sys.executable, "-m", "cxgap", "status", "-c", str(config)],
            stdout=target,
            stderr=subprocess.PIPE,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
    assert ran.returncode == 0, ran.stderr
    assert f"{LONG}.csv" in shown.read_text(encoding="utf-8")


def test_status_as_json_and_csv(on_store, tmp_path: Path) -> None:
    _imported(on_store, tmp_path, "feedback", *OWN_FILES["feedback"])
    shown = json.loads(on_store("status", "--format", "json").stdout)
    assert shown["counts"]["feedback"] == 60 and shown["counts"]["responses"] == 0
    assert shown["batches"][0]["rows_loaded"] == 60 and shown["batches"][0]["finished_at"][:2] == "20"
    rows = list(csv.DictReader(io.StringIO(on_store("status", "--format", "csv").stdout)))
    assert {"table": "feedback", "rows": "60"} in rows and len(rows) == len(shown["counts"])


def test_drivers_as_json_and_csv(on_store, tmp_path: Path) -> None:
    _imported(on_store, tmp_path, "responses", *OWN_FILES["responses"])
    result = on_store("drivers", "--replicates", "20", "--format", "json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert {d["name"] for d in shown["drivers"]} == {"seat", "staff", "punctuality"}
    for d in shown["drivers"]:
        assert d["share_low"] <= d["share"] <= d["share_high"] and d["direction"] == "positive"
    assert shown["rows"] == 120 and shown["r_squared_low"] <= shown["r_squared"] <= shown["r_squared_high"]
    rows = list(
        csv.DictReader(io.StringIO(on_store("drivers", "--replicates", "20", "--format", "csv").stdout))
    )
    assert sorted(r["name"] for r in rows) == ["punctuality", "seat", "staff"]
    assert all(0 < float(r["share"]) < 1 for r in rows)


def test_lists_with_nothing_in_them_are_still_parseable(on_store) -> None:
    listed = json.loads(on_store("cases", "list", "--format", "json").stdout)
    assert listed["total"] == 0 and listed["cases"] == []
    assert on_store("notify", "log", "--format", "csv").stdout.splitlines()[0].startswith("notification_id,")
    assert json.loads(on_store("issues", "list", "--format", "json").stdout) == {"issues": []}


def test_json_is_the_older_json_flag_and_csv_the_same_rows(on_store) -> None:
    assert on_store("surveys", "create", "--template", "nps").exit_code == 0
    as_json = json.loads(on_store("surveys", "list", "--json").stdout)
    assert json.loads(on_store("surveys", "list", "--format", "json").stdout) == as_json
    rows = list(csv.DictReader(io.StringIO(on_store("surveys", "list", "--format", "csv").stdout)))
    assert [r["name"] for r in rows] == [s["name"] for s in as_json] == ["nps"]


def test_a_sample_size_for_tools(cli) -> None:
    size = json.loads(cli("experiment", "size", "--nps-change", "5", "--format", "json").stdout)
    assert size["per_arm"] > 1000 and size["total"] == 2 * size["per_arm"]
    row = next(
        csv.DictReader(io.StringIO(cli("experiment", "size", "--nps-change", "5", "--format", "csv").stdout))
    )
    assert int(row["per_arm"]) == size["per_arm"]


@pytest.mark.parametrize("rows", [0, 1, 7, 22])
def test_a_csv_written_in_parts_side_by_side_is_the_csv_of_one_pass(
    rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": [f'C{i:03d}, "quoted"' if i % 5 == 0 else f"C{i:03d}" for i in range(rows)],
            "risk": [i / 7 for i in range(rows)],
            "reasons": ["" if i % 3 else "2 incidents, 1 unresolved contact" for i in range(rows)],
            "revenue": [float("nan") if i % 4 == 0 else i * 10.5 for i in range(rows)],
        }
    )
    monkeypatch.setattr(output, "CSV_PART_ROWS", 5)
    output.write_csv(frame, tmp_path / "parts.csv")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pacsv.write_csv(table, tmp_path / "whole.csv", pacsv.WriteOptions(quoting_style="needed"))
    assert (tmp_path / "parts.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert len(pd.read_csv(tmp_path / "parts.csv")) == rows
