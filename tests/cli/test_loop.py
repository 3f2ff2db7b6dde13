"""`cxgap cases`, `cxgap issues` and `cxgap users` on the demo company, as an analyst would run them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from cxgap.cases import list_cases
from cxgap.config import demo_config_text
from cxgap.store import Store

DEMO = demo_config_text() + "\n"  # the demo company's configuration, as `cxgap demo` writes it


@pytest.fixture
def demo_store(cli, tmp_path: Path) -> str:
    url = f"duckdb:///{tmp_path / 'demo.duckdb'}"
    (tmp_path / "cxgap.toml").write_text(DEMO + f'[store]\nurl = "{url}"\n', encoding="utf-8")
    assert cli("demo", "--customers", "1000", "--seed", "3", "--no-analysis", "--no-loop").exit_code == 0
    return url


def _support_cases(url: str, count: int) -> list[str]:
    with Store(url) as store:
        return [c.case_id for c in list_cases(store, touchpoint="support", status="open", limit=count)]


def test_cases_are_opened_worked_and_measured_from_the_terminal(cli, demo_store: str) -> None:
    opened = cli("cases", "open", "--since", "2024-01-01")
    assert opened.exit_code == 0 and re.search(r"detractor: [\d,]+ cases opened", opened.stdout)
    assert "0 cases opened" in cli("cases", "open", "--since", "2024-01-01", "--rule", "detractor").stdout
    case_id = _support_cases(demo_store, 1)[0]
    assert "in_progress" in cli("cases", "act", case_id, "start", "--as", "ana").stdout
    refused = cli("cases", "act", case_id, "resolve")
    assert refused.exit_code == 2 and "needs a root cause: one of staffing" in " ".join(
        refused.stderr.split()
    )
    assert (
        "resolved" in cli("cases", "act", case_id, "resolve", "--root-cause", "process", "--as", "ana").stdout
    )
    assert cli("cases", "note", case_id, "called back", "--as", "ana").exit_code == 0
    shown = cli("cases", "show", case_id).stdout
    assert all(word in shown for word in ("created", "started", "resolved", "noted", "ana"))
    metrics = cli("cases", "metrics", "--by", "touchpoint")
    assert metrics.exit_code == 0 and "support" in metrics.stdout and "%" in metrics.stdout
    bad = cli("cases", "metrics", "--by", "planet")
    assert bad.exit_code == 2


def test_a_recurring_root_cause_becomes_an_issue_whose_effect_is_measured(cli, demo_store: str) -> None:
    cli("cases", "open", "--since", "2024-01-01")
    for case_id in _support_cases(demo_store, 6):
        assert cli("cases", "act", case_id, "resolve", "--root-cause", "staffing").exit_code == 0
    found = cli("issues", "patterns", "--min-cases", "5")
    assert found.exit_code == 0 and "staffing" in found.stdout and "support" in found.stdout
    assert re.search(r"(perception|knowledge|customer|implementation|design|communication):", found.stdout)
    raised = cli("issues", "raise", "staffing", "support", "--owner", "dana", "--team", "support")
    assert raised.exit_code == 0 and "(6 cases linked)" in raised.stdout
    issue_id = re.search(r"Raised (SI-\w+)", raised.stdout).group(1)  # type: ignore[union-attr]
    late = cli("issues", "plan", issue_id, "Staff the callback queue", "--at", "soon")
    assert late.exit_code == 2 and "--at 'soon' is not a date" in late.stderr
    planned = cli(
        "issues",
        "plan",
        issue_id,
        "Staff the callback queue",
        "--at",
        "2025-06-15",
        "--gap",
        "implementation:wait_seconds@call",
    )
    assert planned.exit_code == 0 and "acting from 2025-06-15" in planned.stdout
    effect = cli("issues", "effect", issue_id, "--months", "6")
    assert effect.exit_code == 0
    assert "The implementation gap 'wait_seconds@call' at support" in " ".join(effect.stdout.split())
    assert cli("issues", "done", issue_id).exit_code == 0
    assert "done" in cli("issues", "list", "--status", "done").stdout
    log = cli("issues", "show", issue_id).stdout
    assert all(word in log for word in ("raised", "linked", "planned", "done"))
    twice = cli("issues", "done", issue_id)
    assert twice.exit_code == 2 and "is done; it can be done only when acting" in " ".join(
        twice.stderr.split()
    )
    unknown = cli("issues", "raise", "gremlins", "support")
    assert unknown.exit_code == 2 and "root_cause = 'gremlins' is not one of" in " ".join(
        unknown.stderr.split()
    )


def test_users_get_tokens_once_and_tokens_can_be_revoked(cli, demo_store: str) -> None:
    added = cli("users", "add", "sam", "--role", "team_member", "--team", "support")
    assert added.exit_code == 0
    token = re.search(r"cxg_[\w-]+", added.stdout).group(0)  # type: ignore[union-attr]
    listed = cli("users", "list").stdout
    assert "sam" in listed and "team_member" in listed and token not in listed
    assert cli("users", "revoke", token).stdout.strip() == "Revoked."
    assert cli("users", "add", "x", "--role", "king").exit_code == 2


def test_users_list_shows_a_user_without_a_team_beside_one_with_a_team(cli) -> None:
    assert cli("users", "add", "carl", "--role", "admin").exit_code == 0
    assert cli("users", "add", "bea", "--role", "team_member", "--team", "support").exit_code == 0
    listed = cli("users", "list")
    assert listed.exit_code == 0, listed.stderr
    rows = {line.split("│")[1].strip(): line for line in listed.stdout.splitlines() if line.count("│") == 6}
    assert "support" in rows["bea"] and "admin" in rows["carl"]
    assert "nan" not in rows["carl"] and rows["carl"].split("│")[3].strip() == ""


def test_cases_are_listed_by_queue_and_search_with_the_total_at_a_chosen_moment(cli, demo_store: str) -> None:
    opened = cli("cases", "open", "--since", "2024-01-01", "--as-of", "2026-01-01")
    assert opened.exit_code == 0, opened.stderr
    with Store(demo_store) as store:
        every = list_cases(store, limit=100_000)
    open_now = [c for c in every if c.status in ("open", "in_progress")]
    assert every and all(c.created_at == dt.datetime(2026, 1, 1) for c in every)
    late = cli("cases", "list", "--queue", "overdue", "--as-of", "2030-01-01", "--limit", "5")
    assert late.exit_code == 0 and f"5 of {len(open_now):,} cases" in late.stdout and "overdue" in late.stdout
    assert f"of {len(every):,} cases" in cli("cases", "list", "--limit", "3").stdout
    assert "0 of 0 cases" in cli("cases", "list", "--overdue", "--as-of", "2026-01-01").stdout
    found = cli("cases", "list", "--search", every[0].case_id)
    assert "1 of 1 cases" in found.stdout
    assert "0 of 0 cases" in cli("cases", "list", "--search", every[0].case_id + "x").stdout
    case_id = every[0].case_id
    assert cli("cases", "assign", case_id, "--owner", "ana").exit_code == 0
    assert "1 of 1 cases" in cli("cases", "list", "--queue", "mine", "--as", "ana").stdout
    shown = cli("cases", "show", case_id).stdout
    assert "triggers" in shown and "assigned it to" in shown
    for args, said in (
        (("--queue", "later"), "queue = 'later' is not one of"),
        (("--as-of", "soon"), "--as-of 'soon' is not a date"),
        (("--queue", "mine", "--overdue"), "ask for different queues"),
    ):
        refused = cli("cases", "list", *args)
        assert refused.exit_code == 2 and said in " ".join(refused.stderr.split())


def test_users_have_e_mail_addresses_and_team_leads_need_a_team(cli) -> None:
    assert (
        cli(
            "users", "add", "lee", "--role", "team_lead", "--team", "support", "--email", "lee@example.org"
        ).exit_code
        == 0
    )
    no_team = cli("users", "add", "lou", "--role", "team_lead")
    assert no_team.exit_code == 2 and "team lead and needs --team" in no_team.stderr
    bad = cli("users", "add", "lou", "--role", "analyst", "--email", "lou at example")
    assert bad.exit_code == 2 and "is not an e-mail address" in bad.stderr
    assert cli("users", "add", "ana", "--role", "analyst").exit_code == 0
    assert (
        "ana's notifications go to ana@example.org" in cli("users", "email", "ana", "ana@example.org").stdout
    )
    listed = cli("users", "list").stdout
    assert "lee@example.org" in listed and "ana@example.org" in listed and "lou" not in listed
    assert cli("users", "email", "lee", "--remove").exit_code == 0
    assert "lee@example.org" not in cli("users", "list").stdout
    assert cli("users", "email", "nobody", "x@example.org").exit_code == 2
    assert cli("users", "email", "ana").exit_code == 2


def test_users_add_with_password_prompts_twice_and_lets_them_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cxgap.access import sign_in
    from cxgap.access.sessions import utcnow
    from cxgap.cli.main import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CXGAP_STORE_URL", raising=False)
    monkeypatch.delenv("CXGAP_CONFIG", raising=False)
    runner = CliRunner()
    secret = "a long enough pass phrase"
    short = runner.invoke(
        app, ["users", "add", "ana", "--role", "analyst", "--password"], input="short\nshort\n"
    )
    assert short.exit_code != 0 and "at least 12 characters" in " ".join(short.output.split())
    added = runner.invoke(
        app, ["users", "add", "ana", "--role", "analyst", "--password"], input=f"{secret}\n{secret}\n"
    )
    assert added.exit_code == 0, added.output
    assert secret not in added.output and "cxg_" in added.output
    with Store(f"duckdb:///{tmp_path / 'cxgap.duckdb'}") as store:
        assert sign_in(store, "ana", secret, utcnow())
        with store.engine.connect() as conn:
            hashed = conn.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    assert hashed.startswith("$argon2id$") and secret not in hashed
