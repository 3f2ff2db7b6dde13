"""`cxgap export parquet` through the real CLI, and the audit that every command printing results can be
scheduled with --json."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from cxgap.cli.main import app

# Commands that take --format but not --json (its older spelling): none; a new command with --format must take
# --json from the start.
WITHOUT_JSON: set[str] = set()


@pytest.fixture
def demo_dir(cli, tmp_path: Path) -> Path:
    assert cli("demo", "--customers", "400", "--no-analysis", "--no-loop").exit_code == 0
    return tmp_path


def test_export_prints_each_table_and_the_block_to_paste(cli, demo_dir: Path) -> None:
    result = cli("export", "parquet", "lake")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines if "│" in line]
    assert ["customers", "400", "1", ""] in rows and ["interactions"] == [
        r[0] for r in rows if r[3] == "occurred_at"
    ]
    assert "Secrets left in the store: users.password_hash, api_tokens.secret_hash" in result.stdout
    block = (demo_dir / "lake" / "engine.toml").read_text(encoding="utf-8")
    assert block.rstrip() in result.stdout
    tables = tomllib.loads(block)["engine"]["tables"]
    assert tables["responses"] == str(demo_dir / "lake" / "responses")
    assert sorted(p.name for p in (demo_dir / "lake" / "responses").iterdir())[0].startswith("month=20")


def test_export_as_json_and_only_some_tables_over_an_old_export(cli, demo_dir: Path) -> None:
    assert cli("export", "parquet", "lake").exit_code == 0
    again = cli("export", "parquet", "lake")
    said = " ".join(again.stderr.split())
    assert again.exit_code == 2 and "lake is not empty" in said and "Traceback" not in said
    result = cli(
        "export", "parquet", "lake", "--table", "responses", "--table", "customers", "--overwrite",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert [t["table"] for t in summary["tables"]] == ["customers", "responses"]
    assert summary["tables"][0] | {"folder": None} == {
        "table": "customers", "folder": None, "rows": 400, "files": 1, "month_of": None,
    }  # fmt: skip
    assert summary["tables"][1]["month_of"] == "responded_at" and summary["tables"][1]["files"] > 1
    assert summary["withheld"][0] == "users.password_hash"
    assert (demo_dir / "lake" / "interactions").is_dir()  # left as the first export wrote it
    bad = cli("export", "parquet", "other", "--table", "rollup_items")
    assert bad.exit_code == 2 and "Cannot export table 'rollup_items'" in bad.stderr


@pytest.fixture
def held(demo_dir: Path) -> Iterator[None]:
    """The demo's DuckDB file held open by another process."""
    code = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(demo_dir / "cxgap.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        yield
    finally:
        if process.stdin:
            process.stdin.close()
        process.wait(timeout=60)


def test_a_store_another_process_holds_is_said_in_one_sentence(cli, held: None, demo_dir: Path) -> None:
    result = cli("export", "parquet", "lake")
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2 and "is in use by python" in said  # the holder, named from its pid
    assert said.count(". ") == 0 and "Traceback" not in said
    assert not (demo_dir / "lake").exists()


def _commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every command of the CLI with its full name (`cases list`), sub-apps included (typer's own click
    commands: a group is one with `commands`)."""
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_that_prints_results_takes_json() -> None:
    options = {
        name: {o for p in command.params for o in getattr(p, "opts", ())}
        for name, command in _commands(typer.main.get_command(app))
    }
    formatted = {name for name, opts in options.items() if "--format" in opts}
    assert {"analyze", "metrics", "journeys", "risk", "export parquet"} <= formatted
    missing = {name for name in formatted if "--json" not in options[name]}
    assert missing - WITHOUT_JSON == set(), "a command with --format must take --json too"
    assert WITHOUT_JSON - missing == set(), "this command takes --json now: take it off WITHOUT_JSON"
