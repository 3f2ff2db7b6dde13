"""Where to act first on the demo company, through the web app: ranked by money in the company's currency,
leaders' beliefs apart, operational gaps with their standard and actual, readable q-values, links to the
glossary and the records, and "raise an issue" that the page then shows as open."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cxgap.api import create_app
from cxgap.config import CompanySettings, StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.gaps import GAP_KINDS
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.signing import csrf, sign_in, signed_up


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('act') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=42))
        signed_up(store)
    return url


@pytest.fixture(scope="module")
def client(store_url: str) -> Iterator[TestClient]:
    """An analyst, signed in, on a company that counts in pounds."""
    app = create_app(
        demo_settings(
            store=StoreSettings(url=store_url), server=ON_DEMAND, company=CompanySettings(currency="GBP")
        )
    )
    with TestClient(app) as client:
        sign_in(client, "ana")
        yield client
    app.state.store.close()


def _items(page: str) -> list[str]:
    block = page.split('<ol class="act-first" id="act-first">', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<li class="act-item[^"]*">(.*?)</li>', block, flags=re.S)


def test_act_first_ranks_money_first_and_shows_beliefs_apart(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    items = _items(page.text)
    assert 3 <= len(items) <= 10
    kinds = [re.search(r'class="gap-kind" href="/glossary#gap-(\w+)"', item).group(1) for item in items]  # type: ignore[union-attr]
    assert not {"perception", "knowledge"} & set(kinds)  # leaders' beliefs have their own block
    beliefs = page.text.split('id="beliefs"', 1)[1].split("</section>", 1)[0]
    assert "% of leaders" in beliefs and "perception" in beliefs
    money = [re.search(r'<b class="money">GBP ([0-9.]+)(k|M|bn)? \[', item) for item in items]
    valued = [m for m in money if m]
    assert len(valued) >= 3 and money[: len(valued)] == valued  # the valued ones come first
    scale = {"k": 1e3, "M": 1e6, "bn": 1e9, None: 1.0}
    amounts = [float(m.group(1)) * scale[m.group(2)] for m in valued]
    assert amounts == sorted(amounts, reverse=True)
    assert "EUR" not in page.text and "value not measured" in page.text


def test_operational_gaps_say_their_standard_and_actual(client: TestClient) -> None:
    page = client.get("/").text
    installation = re.search(
        r"installation: on-time rate ([0-9.]+)% against (a|the promised) ([0-9.]+)%", page
    )
    assert installation, "the installation on-time gap is not among the places to act"
    assert float(installation.group(1)) < float(installation.group(3))
    wait = re.search(r"support: call wait ([0-9,]+) s against a ([0-9,]+) s standard \(n=[0-9,]+\)", page)
    assert wait and int(wait.group(1).replace(",", "")) > int(wait.group(2).replace(",", ""))


def test_q_values_read_as_people_read_them(client: TestClient) -> None:
    for path in ("/", "/gaps", "/perception"):
        page = client.get(path).text
        shown = re.findall(r'<td class="q">([^<]*)</td>', page) + re.findall(
            r"</a> ([^ <]+(?: [0-9.]+)?), reach", page
        )
        assert "&lt; 0.001" in page, path
        assert not re.search(r'<td class="q">(0|[0-9.]+e-[0-9]+)</td>', page), shown


def test_every_gap_kind_links_to_the_glossary_which_defines_it(client: TestClient) -> None:
    for path in ("/", "/gaps", "/perception", "/operations"):
        page = client.get(path).text
        linked = set(re.findall(r'class="gap-kind" href="/glossary#gap-(\w+)">(\w+)<', page))
        assert linked and all(anchor == kind for anchor, kind in linked), path
    glossary = client.get("/glossary")
    assert glossary.status_code == 200
    for anchor in [f"gap-{k}" for k in GAP_KINDS] + [
        "p-minus-e",
        "q-value",
        "reach",
        "interval",
        "nps",
        "csat",
        "ces",
        "value-at-stake",
    ]:
        assert f'id="{anchor}"' in glossary.text, anchor
    assert "GBP" in glossary.text


def test_gap_rows_and_scores_link_to_their_records(client: TestClient) -> None:
    gaps = client.get("/gaps", params={"segment": "consumer"}).text
    assert re.search(
        r'href="/records/responses\?segment=consumer&amp;[^"]*kind=customer[^"]*dimension=reliability', gaps
    )
    assert 'class="json" href="/api/gaps?' in gaps  # the small JSON link stays
    operations = client.get("/operations").text
    assert re.search(
        r'href="/records/interactions\?touchpoint=support&amp;metric=wait_seconds%40call"', operations
    )
    overview = client.get("/").text
    assert 'href="/records/responses?metric=nps&amp;kind=relational"' in overview


def test_a_wall_of_missing_data_is_said_once(client: TestClient) -> None:
    page = client.get("/operations", params={"since": "2025-12"}).text
    assert page.count("insufficient data") <= 1 or page.count('id="ops-unmeasured"') == 1


def test_raising_an_issue_shows_it_open_instead_of_the_form(client: TestClient) -> None:
    page = client.get("/").text
    form = re.search(
        r'<input type="hidden" name="kind" value="(\w+)"><input type="hidden" name="touchpoint" value="(\w*)"><input type="hidden" name="subject" value="([^"]+)">',
        page,
    )
    assert form
    kind, touchpoint, subject = form.groups()
    fields = {
        "kind": kind,
        "touchpoint": touchpoint,
        "subject": subject.replace("&#64;", "@"),
        "root_cause": "process",
    }
    refused = client.post("/act-first/issues", data=fields | {"owner": "Sam", "action": "Fix it"})
    assert refused.status_code == 403  # no CSRF token
    token = csrf(page)
    incomplete = client.post(
        "/act-first/issues", data=fields | {"csrf_token": token, "owner": "", "action": ""}
    )
    assert incomplete.status_code == 409 and "needs an owner and an action" in incomplete.text
    raised = client.post(
        "/act-first/issues",
        data=fields | {"owner": "Sam Support", "team": "support", "action": "Add two agents at peak hours"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert raised.status_code == 200 and "is open" in raised.text and "Sam Support" in raised.text
    issues = client.get("/api/issues", headers={"X-CSRF-Token": token}).json()
    mine = [i for i in issues if i["gap_kind"] == kind and i["gap_subject"] == fields["subject"]]
    assert (
        len(mine) == 1
        and mine[0]["owner"] == "Sam Support"
        and mine[0]["action"] == "Add two agents at peak hours"
    )
    again = client.get("/").text
    assert f"{mine[0]['issue_id']}</a> is open" in again


def test_a_viewer_sees_issues_but_cannot_raise_one(store_url: str) -> None:
    app = create_app(demo_settings(store=StoreSettings(url=store_url), server=ON_DEMAND))
    with TestClient(app) as viewer:
        sign_in(viewer, "vic")
        page = viewer.get("/").text
        assert "Raise the issue" not in page and "an analyst or admin can raise one" in page
        token = csrf(page)
        data = {
            "csrf_token": token,
            "kind": "design",
            "touchpoint": "support",
            "subject": "callback_hours",
            "owner": "x",
            "action": "y",
            "root_cause": "process",
        }
        assert viewer.post("/act-first/issues", data=data).status_code == 403
    app.state.store.close()
