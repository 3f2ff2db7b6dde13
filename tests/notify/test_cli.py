"""`cxgap notify run|log|prefs`: counts printed, exit 0; bad input is one sentence and exit 2."""

from __future__ import annotations

from pathlib import Path

from cxgap.store import Store
from tests.notify.conftest import NOW, add_detractors, add_staff, settings_for


def _config(tmp_path: Path, port: int) -> Path:
    url = f"duckdb:///{tmp_path / 'cxgap.duckdb'}"
    settings = settings_for(url, port)
    with Store(url) as store:
        add_staff(store)
        add_detractors(store, settings, NOW, ("R1", "support"))
    config = tmp_path / "cxgap.toml"
    config.write_text(
        f'[store]\nurl = "{url}"\n\n[cases.rules.detractor]\nwhen = "detractor"\ndue_hours = 4\n'
        f'routes = [{{ touchpoint = "support", team = "support" }}]\n\n'
        f'[notify]\nsmtp_url = "smtp://127.0.0.1:{port}"\ndigest_hour = 23\n',
        encoding="utf-8",
    )
    return config


def test_run_sends_once_and_log_shows_it(cli, tmp_path: Path, smtp, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    inbox, port = smtp
    config = str(_config(tmp_path, port))
    first = cli("notify", "run", "--as-of", "2026-06-01T12:00", "--config", config)
    assert first.exit_code == 0, first.stderr
    said = " ".join(first.stdout.split())
    assert "2 events found, 4 messages queued, 4 sent, 0 to retry, 0 failed" in said
    again = cli("notify", "run", "--as-of", "2026-06-01T12:30", "--config", config)
    assert "0 messages queued, 0 sent" in " ".join(again.stdout.split()) and len(inbox.messages) == 4
    log = cli("notify", "log", "--limit", "10", "--config", config)
    assert log.exit_code == 0 and log.stdout.count("sent") >= 4 and "case_assigned" in log.stdout


def test_prefs_are_shown_and_changed(cli, tmp_path: Path, smtp) -> None:
    _, port = smtp
    config = str(_config(tmp_path, port))
    changed = cli("notify", "prefs", "sam", "--event", "case_due", "--digest", "--config", config)
    assert changed.exit_code == 0
    line = next(row for row in changed.stdout.splitlines() if "case_due" in row)
    assert "yes" in line and "in the digest" in line
    off = cli("notify", "prefs", "sam", "--event", "digest", "--off", "--config", config)
    assert "no" in next(row for row in off.stdout.splitlines() if row.startswith("│ digest "))


def test_bad_input_is_one_sentence_and_exit_2(cli, tmp_path: Path, smtp) -> None:
    _, port = smtp
    config = str(_config(tmp_path, port))
    for args, said in (
        (("notify", "run", "--as-of", "yesterday"), "is not a date"),
        (("notify", "prefs", "sam", "--event", "birthday", "--on"), "is not one of"),
        (("notify", "prefs", "sam", "--on"), "Say which event"),
        (("notify", "prefs", "nobody"), "There is no user 'nobody'"),
        (
            ("notify", "prefs", "sam", "--event", "case_assigned", "--digest"),
            "Only case_due and case_overdue",
        ),
    ):
        result = cli(*args, "--config", config)
        assert result.exit_code == 2 and said in result.stderr and "Traceback" not in result.stderr, args
