"""`cxgap surveys ...` as an analyst runs it: a survey made from a template, edited as TOML, published and
closed; links, invitations over a real local SMTP server, contacts, opt-outs and response rates; and a
bad definition file answered with one sentence and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.smtp_server import smtp_server


@pytest.fixture
def configured(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cxgap.toml on a DuckDB store in tmp_path, links at cx.example.com, never quiet; wide tables."""
    monkeypatch.setenv("COLUMNS", "200")
    config = tmp_path / "cxgap.toml"
    config.write_text(
        'touchpoints = ["ordering", "support", "billing"]\n'
        f'[store]\nurl = "duckdb:///{tmp_path / "cxgap.duckdb"}"\n'
        '[notify]\nbase_url = "https://cx.example.com"\n[surveys]\nquiet_hours = [0, 0]\n',
        encoding="utf-8",
    )
    return config


def _said(result) -> str:  # type: ignore[no-untyped-def]
    return " ".join((result.stdout + result.stderr).split())


def test_a_survey_is_made_edited_published_and_closed_from_the_terminal(cli, configured: Path) -> None:
    assert "No surveys yet" in cli("surveys", "list").stdout
    made = cli("surveys", "create", "--template", "csat", "--touchpoint", "support", "--as", "ana")
    assert (
        made.exit_code == 0
        and "Created survey csat-support (version 1, a draft with 2 questions)" in _said(made)
    )
    shown = _said(cli("surveys", "show", "csat-support"))
    assert "customers, transactional, support; draft, version 1 of 1" in shown and "csat <= 3" in shown

    text = cli("surveys", "show", "csat-support", "--toml").stdout
    edited = configured.parent / "csat.toml"
    edited.write_text(text.replace("How satisfied were you", "How happy were you"), encoding="utf-8")
    assert cli("surveys", "publish", "csat-support").exit_code == 0
    saved = cli("surveys", "save", str(edited), "--expect-version", "1")
    assert "Survey csat-support is at version 2; respondents are asked version 1." in _said(saved)
    stale = cli("surveys", "save", str(edited), "--expect-version", "1")
    assert stale.exit_code == 2 and "Someone else saved version 2 of survey csat-support" in _said(stale)
    assert "How satisfied" in cli("surveys", "show", "csat-support").stdout  # still asking version 1
    assert "How happy" in cli("surveys", "show", "csat-support", "--version", "2").stdout
    assert "asked version 2" in _said(cli("surveys", "publish", "csat-support"))

    listed = json.loads(cli("surveys", "list", "--json").stdout)
    assert [
        (s["name"], s["status"], s["version"], s["published_version"], s["created_by"]) for s in listed
    ] == [("csat-support", "published", 2, 2, "ana")]
    questions = json.loads(cli("surveys", "show", "csat-support", "--json").stdout)
    assert [q["id"] for q in questions] == ["csat", "what_went_wrong"]
    assert "its links no longer work" in _said(cli("surveys", "close", "csat-support"))
    again = json.loads(cli("surveys", "publish", "csat-support", "--json").stdout)
    assert again[0]["status"] == "published"


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "error: {file}: file not found."),
        ("name = ", "error: {file}: not valid TOML"),
        (
            'name = "x"\ntitle = "t"\n[[questions]]\nid = "why"\ntype = "comment"\ntext = "Why?"\n'
            'show_if = {question = "nps", value = 3}\n',
            "error: {file}: questions[0].show_if (question 'why') refers to 'nps', which is no earlier question",
        ),
        (
            'name = "x"\ntitle = "t"\nkind = "transactional"\ntouchpoint = "moon"\n'
            '[[questions]]\nid = "csat"\ntype = "csat"\ntext = "Happy?"\n',
            "error: {file}: touchpoint 'moon' is not one of the touchpoints in cxgap.toml",
        ),
    ],
)
def test_a_bad_definition_file_is_one_sentence_and_exit_2(
    cli, configured: Path, content: str | None, said: str
) -> None:
    file = configured.parent / "survey.toml"
    if content is not None:
        file.write_text(content, encoding="utf-8")
    result = cli("surveys", "create", "--file", str(file))
    assert result.exit_code == 2 and result.stdout == ""
    assert _said(result).startswith(said.format(file=file))
    assert "Traceback" not in result.stderr


def test_unclear_requests_are_one_sentence(cli, configured: Path) -> None:
    neither = cli("surveys", "create")
    assert neither.exit_code == 2 and "Say what to create from: --template" in _said(neither)
    assert "There is no survey template 'stars'" in _said(cli("surveys", "create", "--template", "stars"))
    named = cli("surveys", "create", "--template", "nps", "--name", "Our Pulse")
    assert (
        named.exit_code == 2
        and "The nps template: key 'name' has value 'Our Pulse', expected a short" in _said(named)
    )
    assert "There is no survey named 'pulse'" in _said(cli("surveys", "publish", "pulse"))
    own = configured.parent / "own.toml"
    own.write_text(
        'name = "own"\ntitle = "t"\n[[questions]]\nid = "nps"\ntype = "nps"\ntext = "Recommend?"\n'
    )
    renamed = cli("surveys", "create", "--file", str(own), "--name", "Own Pulse")
    assert renamed.exit_code == 2 and _said(renamed).startswith(
        "error: --name: key 'name' has value 'Own Pulse'"
    )
    assert "Created survey own-pulse" in _said(
        cli("surveys", "create", "--file", str(own), "--name", "own-pulse")
    )
    cli("surveys", "create", "--template", "nps")
    taken = cli("surveys", "create", "--template", "nps")
    assert taken.exit_code == 2 and "There is already a survey named 'nps'" in _said(taken)
    assert "is a draft that was never published" in _said(cli("surveys", "close", "nps"))
    assert "Say whom to invite" in _said(cli("surveys", "invite", "nps"))
    assert "Say who opts out" in _said(cli("surveys", "opt-out"))


def test_links_invitations_opt_outs_and_rates_from_the_terminal(cli, configured: Path) -> None:
    contacts = configured.parent / "contacts.csv"
    contacts.write_text("id,email,language,role\nc1,ann@example.com,en,\nc2,bob@example.com,en,\n")
    with smtp_server() as (inbox, port):
        text = configured.read_text(encoding="utf-8")
        configured.write_text(
            text.replace("[notify]\n", f'[notify]\nsmtp_url = "smtp://127.0.0.1:{port}"\n'), encoding="utf-8"
        )
        assert "2 customer contacts read: 2 loaded, 0 refused" in _said(
            cli("surveys", "contacts", "import", str(contacts), "--kind", "customer")
        )
        cli("surveys", "create", "--template", "nps")
        refused = cli("surveys", "link", "nps", "--customer", "c1")
        assert refused.exit_code == 2  # a draft asks no one
        cli("surveys", "publish", "nps")
        link = cli("surveys", "link", "nps", "--customer", "c9").stdout
        assert link.startswith("https://cx.example.com/s/") and link.count("\n") == 1

        assert "Customer c2 will never be surveyed again." in _said(
            cli("surveys", "opt-out", "--customer", "c2")
        )
        assert "had already opted out" in _said(cli("surveys", "opt-out", "--customer", "c2"))
        invited = _said(cli("surveys", "invite", "nps", "--to", "c1", "--to", "c2"))
        assert "1 sent" in invited and "1 skipped" in invited
        assert [m["To"] for m in inbox.messages] == ["ann@example.com"]
        assert "--staff invites to a staff survey only" in _said(cli("surveys", "invite", "nps", "--staff"))

        ran = cli("surveys", "run-invitations", "--as-of", "2030-01-01T10:00", "--json")
        assert ran.exit_code == 0 and {"outcome", "count"} <= set(json.loads(ran.stdout)[0])
    rates = cli("surveys", "rates")
    assert rates.exit_code == 0 and "nps" in rates.stdout and "insufficient data" in _said(rates)
    rows = json.loads(cli("surveys", "rates", "--survey", "nps", "--json").stdout)
    assert rows[0]["survey"] == "nps" and rows[0]["invited"] >= 1
