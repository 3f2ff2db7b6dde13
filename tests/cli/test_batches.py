"""`cxgap import` says when a keyless file it loaded repeats rows an earlier batch stored (the same file
under another mapping doubles every row), and `cxgap batches remove` takes a batch back out; `cxgap
status` shows it removed. Through a running `cxgap serve` both go to the server."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest

from cxgap.store import Store
from tests.cli.test_handoff import Served, served  # noqa: F401 (the fixture, used by name)

REVIEWS = (
    'Review,Rating\n"great stay, friendly staff",5\nroom was dirty,1\nnoisy at night,\nroom was dirty,1\n'
)
PROPOSED = (
    'table = "feedback"\n\n[columns]\ntext = "Review"\nrating = "Rating"\n\n[constants]\nsource = "review"\n'
)
EXAMPLE = PROPOSED + 'channel = "tripadvisor"\n'


def _files(folder: Path, store: bool = True) -> None:
    if store:
        (folder / "cxgap.toml").write_text('[store]\nurl = "duckdb:///cxgap.duckdb"\n', encoding="utf-8")
    (folder / "reviews.csv").write_text(REVIEWS, encoding="utf-8")
    (folder / "proposed.toml").write_text(PROPOSED, encoding="utf-8")
    (folder / "example.toml").write_text(EXAMPLE, encoding="utf-8")


def _said(result) -> str:  # type: ignore[no-untyped-def]
    return " ".join(result.stderr.split())


def test_a_keyless_file_imported_again_under_another_mapping_is_said(cli, tmp_path: Path) -> None:
    _files(tmp_path)
    first = cli("import", "reviews.csv", "--mapping", "proposed.toml", "--format", "json")
    assert first.exit_code == 0 and "batches remove" not in first.stderr
    earlier = json.loads(first.stdout)["batch_id"]
    dry = cli("import", "reviews.csv", "--mapping", "example.toml", "--dry-run")
    beside_table = " ".join(
        dry.stdout.split()
    )  # a table's notes follow it on stdout; CSV's and JSON's on stderr
    assert (
        dry.exit_code == 0 and "would" in beside_table and f"cxgap batches remove {earlier}" in beside_table
    )
    second = cli("import", "reviews.csv", "--mapping", "example.toml", "--format", "json")
    assert second.exit_code == 0  # loaded, as before: two sources may hold the same text
    said = _said(second)
    assert said.startswith("4 of the 4 rows loaded from reviews.csv hold the same values")
    assert f"batch {earlier} (reviews.csv, imported " in said
    assert "channel (this mapping sets it to 'tripadvisor')" in said
    assert "feedback now holds each of them twice" in said and f"cxgap batches remove {earlier}" in said
    assert said.count(". ") == 0 and said.endswith(".")
    data = json.loads(second.stdout)
    assert data["rows_repeating"] == 4
    assert [b["batch_id"] for b in data["repeated_batches"]] == [earlier]
    assert data["repeated_batches"][0]["columns"] == ["channel"]
    third = cli("import", "reviews.csv", "--mapping", "example.toml", "--format", "csv")
    header, row = third.stdout.splitlines()[:2]
    counts = dict(zip(header.split(","), row.split(","), strict=True))
    assert counts["loaded_repeating_earlier"] == "0" and counts["already_present"] == "4"


def test_rows_two_earlier_batches_hold_name_both(cli, tmp_path: Path) -> None:
    _files(tmp_path)
    (tmp_path / "other.toml").write_text(PROPOSED + 'channel = "booking"\n', encoding="utf-8")
    ids = [
        json.loads(cli("import", "reviews.csv", "--mapping", name, "--json").stdout)["batch_id"]
        for name in ("proposed.toml", "example.toml")
    ]
    third = cli("import", "reviews.csv", "--mapping", "other.toml", "--format", "csv")
    said = _said(third)  # with CSV on stdout, the note is on stderr
    assert third.exit_code == 0 and "as rows 2 earlier batches stored (batch " in said
    assert all(f"batch {i} (reviews.csv, imported " in said and ", 4 of them)" in said for i in ids)
    assert "channel (this mapping sets it to 'booking')" in said and "more than once" in said
    assert f"`cxgap batches remove {ids[0]}` for the first of the earlier ones" in said
    assert said.count(". ") == 0


def test_batches_remove_takes_a_batch_out_and_status_shows_it_removed(cli, tmp_path: Path) -> None:
    _files(tmp_path)
    earlier = json.loads(cli("import", "reviews.csv", "--mapping", "proposed.toml", "--json").stdout)
    assert cli("import", "reviews.csv", "--mapping", "example.toml").exit_code == 0
    batch = earlier["batch_id"]

    dry = cli("batches", "remove", batch, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "Would remove batch" in dry.stdout and "nothing was changed" in " ".join(dry.stdout.split())
    with Store("duckdb:///" + str(tmp_path / "cxgap.duckdb")) as store:
        assert store.count("feedback") == 8

    done = cli("batches", "remove", batch)
    assert done.exit_code == 0, done.stderr
    shown = " ".join(done.stdout.split())
    assert shown.startswith(f"Removed batch {batch} (feedback from reviews.csv, imported ")
    assert "4 rows of feedback taken out" in shown
    with Store("duckdb:///" + str(tmp_path / "cxgap.duckdb")) as store:
        assert store.count("feedback") == 4

    status = cli("status")
    assert status.exit_code == 0 and batch[:12] in status.stdout  # the start of it, which names it
    [row] = [line for line in status.stdout.splitlines() if batch[:12] in line]
    assert "removed" in status.stdout and re.search(r"│ \d{4}-\d\d-\d\d \d\d:\d\d\s*│$", row)
    listed = json.loads(cli("status", "--json").stdout)["batches"]
    assert [b["batch_id"] for b in listed if b["removed_at"]] == [batch]

    again = cli("batches", "remove", batch[:12])  # as status shows it
    assert again.exit_code == 2 and f"Batch {batch} (feedback" in _said(again)
    assert "was already removed on" in _said(again)
    assert "Traceback" not in again.stderr and _said(again).count(". ") == 0
    unknown = cli("batches", "remove", "0123abcd")
    assert unknown.exit_code == 2 and "There is no import batch '0123abcd'" in _said(unknown)


def test_batches_remove_json(cli, tmp_path: Path) -> None:
    _files(tmp_path)
    batch = json.loads(cli("import", "reviews.csv", "--mapping", "proposed.toml", "--json").stdout)[
        "batch_id"
    ]
    removed = cli("batches", "remove", batch, "--format", "json")
    data = json.loads(removed.stdout)
    assert (data["batch_id"], data["rows"], data["table"], data["dry_run"]) == (batch, 4, "feedback", False)


@pytest.mark.slow  # a `cxgap serve` process of its own
def test_through_the_running_server(cli, served: Served, tmp_path: Path) -> None:  # noqa: F811
    """While `cxgap serve` holds the DuckDB file, the warning comes back from the server's import and
    `cxgap batches remove` is done by the server (which then serves the new figures)."""
    _files(tmp_path, store=False)  # the fixture's cxgap.toml names the served store
    earlier = json.loads(cli("import", "reviews.csv", "--mapping", "proposed.toml", "--json").stdout)
    second = cli("import", "reviews.csv", "--mapping", "example.toml")
    beside_table = " ".join(second.stdout.split())
    assert second.exit_code == 0 and f"cxgap batches remove {earlier['batch_id']}" in beside_table
    admin = served.token()
    assert served.get("/api/status", admin).json()["rows"]["feedback"] == 8
    removed = cli("batches", "remove", earlier["batch_id"])
    assert removed.exit_code == 0, removed.stderr
    assert "4 rows of feedback taken out" in " ".join(removed.stdout.split())
    assert served.eventually("/api/status", admin, lambda s: s["rows"]["feedback"] == 4)
    again = cli("batches", "remove", earlier["batch_id"])
    assert again.exit_code == 2 and "was already removed on" in _said(again)
    assert "removed" in cli("status").stdout
    served.stop(signal.SIGTERM)
    with Store(served.store_url) as store:
        assert store.count("feedback") == 4


def test_the_rows_a_batch_quarantined_are_listed_with_their_lines_and_reasons(cli, tmp_path: Path) -> None:
    """After an import, its quarantined rows can be read back (to fix the file): the table shows the first
    --limit, CSV every one; a store that quarantined nothing, or an unknown batch, is one sentence."""
    from tests.cli.test_first_data import CUSTOMERS_MAPPING

    _files(tmp_path)
    assert cli("batches", "quarantine").exit_code == 2
    rows = ["id,plan,churn,monthly"] + [f"B{k},One year,Maybe,10" for k in range(7)] + ["G1,One year,No,10"]
    (tmp_path / "crm.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "crm.toml").write_text(CUSTOMERS_MAPPING, encoding="utf-8")
    imported = cli("import", "crm.csv", "--mapping", "crm.toml", "--json")
    batch = json.loads(imported.stdout)["batch_id"]
    shown = cli("batches", "quarantine", "--limit", "3")
    said = " ".join(shown.stdout.split())
    assert shown.exit_code == 0 and f"batch {batch}: 7 rows quarantined; 4 more with --limit" in said
    assert "is not yes/no" in said and "B0" in said
    every = cli("batches", "quarantine", batch[:8], "--format", "csv")
    lines = every.stdout.splitlines()
    assert lines[0] == "source_row,source_row_end,column_name,reason,raw" and len(lines) == 8
    assert [line.split(",")[0] for line in lines[1:]] == [str(n) for n in range(2, 9)]
    unknown = cli("batches", "quarantine", "0123abcd")
    assert unknown.exit_code == 2 and "There is no import batch '0123abcd'" in _said(unknown)
