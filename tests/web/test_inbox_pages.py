"""The case inbox's routes through a TestClient on a small seeded demo: what each person
sees, search, filters and paging in the URL, bulk assign and close, refusals as one sentence in the page.
On DuckDB only: see `store_url` below."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from cxgap.cases.workflow import transition
from tests.api.signing import csrf
from tests.web.conftest import LoopApp


@pytest.fixture
def store_url(duckdb_url: str) -> str:
    """DuckDB only: these pages call services the case tests run on both backends, and the case page
    tests run on both (tests/web/test_case_pages.py)."""
    return duckdb_url


def _ids(page: str) -> set[str]:
    """The case ids a page lists (its tick boxes and links)."""
    return set(re.findall(r'href="/cases/([^"/?]+)"', page))


def _open_cases(app: LoopApp, team: str | None = None) -> list[tuple[str, str, str]]:
    """(case id, team, customer id) of the open cases, of one team when named."""
    sql = "SELECT case_id, team, customer_id FROM cases WHERE status IN ('open', 'in_progress')"
    with app.store.engine.connect() as conn:
        rows = conn.execute(sa.text(sql)).all()
    return [(r.case_id, r.team, r.customer_id) for r in rows if team is None or r.team == team]


def test_a_team_member_sees_only_their_teams_cases_in_every_queue(loop_app: LoopApp) -> None:
    sam = loop_app.client("sam")
    support = {c for c, _, _ in _open_cases(loop_app, "support")}
    elsewhere = {c for c, team, _ in _open_cases(loop_app) if team != "support"}
    assert support and elsewhere, "the seeded demo has cases of support and of other teams"
    for queue in ("mine", "team", "overdue", "due_today", "unassigned", "all"):
        page = sam.get(f"/cases?queue={queue}&per_page=500")
        assert page.status_code == 200, page.text
        assert not _ids(page.text) & elsewhere, queue
    listed = _ids(sam.get("/cases?queue=all&per_page=500").text)
    assert listed == support
    assert f"of {len(support)} cases" in sam.get("/cases?queue=team").text


def test_an_analyst_sees_every_team_and_the_counts_of_each_queue(loop_app: LoopApp) -> None:
    page = loop_app.client("ana").get("/cases?queue=all&per_page=500").text
    every = {c for c, _, _ in _open_cases(loop_app)}
    assert _ids(page) == every
    assert re.search(rf'id="queue-all"[^>]*>All <span class="count">{len(every)}</span>', page)
    assert 'id="queue-team"' not in page  # an analyst has no team of their own


def test_the_url_holds_search_filters_sort_and_page(loop_app: LoopApp) -> None:
    ana = loop_app.client("ana")
    case_id, _, customer = _open_cases(loop_app, "support")[0]
    found = ana.get(f"/cases?queue=all&search={customer}").text
    assert case_id in _ids(found)
    assert all(customer in row for row in re.findall(r'<td class="customer">([^<]*)</td>', found))
    assert f'value="{customer}"' in found  # the search box says what was searched
    paged = ana.get("/cases?queue=all&per_page=5&sort=-created_at").text
    assert re.search(r"1–5 of [\d,]+ cases", paged)
    assert 'href="/cases?queue=all&amp;sort=-created_at&amp;page=2&amp;per_page=5"' in paged
    assert 'aria-sort="descending"' in paged
    narrowed = ana.get("/cases?queue=all&rule=unresolved_interaction&per_page=500").text
    expected = {c for c, _, _ in _open_cases(loop_app) if c.startswith("unresolved_interaction")}
    assert _ids(narrowed) == expected


def test_a_bad_filter_is_one_sentence_in_the_page(loop_app: LoopApp) -> None:
    sam = loop_app.client("sam")
    for query, sentence in (
        ("older_than_days=soon", "older_than_days = 'soon' is not a whole number"),
        ("queue=everything", "queue = 'everything' is not one of"),
        ("sort=price", "sort = 'price' is not one of"),
    ):
        answer = sam.get(f"/cases?{query}")
        assert answer.status_code == 400, query
        assert "text/html" in answer.headers["content-type"]
        assert sentence in answer.text.replace("&#39;", "'")
        assert "Traceback" not in answer.text


def test_bulk_assign_within_the_team_and_a_foreign_case_is_refused(loop_app: LoopApp) -> None:
    sam = loop_app.client("sam")
    mine = [c for c, _, _ in _open_cases(loop_app, "support")][:2]
    foreign = next(c for c, team, _ in _open_cases(loop_app) if team != "support")
    token = csrf(sam.get("/cases").text)
    answer = sam.post(
        "/cases/bulk?queue=team",
        data={"csrf_token": token, "case_id": [*mine, foreign], "owner": "sue", "action": "assign"},
    )
    assert answer.status_code == 200, answer.text
    assert "2 cases assigned to sue. 1 refused: There is no case" in answer.text
    with loop_app.store.engine.connect() as conn:
        owners = dict(conn.execute(sa.text("SELECT case_id, owner FROM cases")).all())
    assert [owners[c] for c in mine] == ["sue", "sue"]
    assert owners[foreign] != "sue"
    refused = sam.post(
        "/cases/bulk", data={"csrf_token": token, "case_id": mine, "owner": "fay", "action": "assign"}
    )
    assert refused.status_code == 400
    assert "Pick the person to assign the cases to." in refused.text


def test_bulk_close_closes_resolved_cases_and_says_why_others_stay(loop_app: LoopApp) -> None:
    ana = loop_app.client("ana")
    first, second = [c for c, _, _ in _open_cases(loop_app)][:2]
    transition(loop_app.store, first, "resolve", "ana", root_cause="process")
    page = ana.get("/cases?queue=all&status=any&per_page=500")
    answer = ana.post(
        "/cases/bulk?queue=all&status=any",
        data={"csrf_token": csrf(page.text), "case_id": [first, second], "action": "close"},
    )
    assert answer.status_code == 200
    assert f"1 case closed. 1 refused: Case {second} is open" in answer.text
    assert '<option value="any" selected>' in answer.text  # the same queue, with its filter kept


def test_bulk_needs_the_csrf_token_and_a_worker(loop_app: LoopApp) -> None:
    case_id = _open_cases(loop_app)[0][0]
    sam = loop_app.client("sam")
    assert sam.post("/cases/bulk", data={"case_id": case_id, "action": "close"}).status_code == 403
    vic = loop_app.client("vic")
    overview = vic.get("/")
    answer = vic.post(
        "/cases/bulk", data={"csrf_token": csrf(overview.text), "case_id": case_id, "action": "close"}
    )
    assert answer.status_code == 403
    assert "Cases name their customers" in html.unescape(answer.text)
