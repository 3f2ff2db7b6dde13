"""The survey editor's routes through a TestClient on an empty store: a survey made from a template, its form
posted back as a browser would (one save, one version; add, move and remove save nothing), problems shown at
their fields, a stale save refused with who saved meanwhile (on both backends), the TOML box, publish, close,
a link by hand, the preview, every version readable; viewers read and cannot write; CSRF refused."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxgap.access.sessions import sign_in, utcnow
from cxgap.api import create_app
from cxgap.api.auth import SESSION_COOKIE
from cxgap.config import StoreSettings, demo_settings
from cxgap.store import Store
from cxgap.surveys import catalog
from tests.api.on_demand import ON_DEMAND
from tests.api.signing import PASSWORD, csrf, signed_up

PEOPLE = (("ana", "ana"), ("ana-again", "ana"), ("vic", "vic"))  # a second session of ana's for conflicts


def _people(url: str) -> dict[str, str]:
    """An analyst (ana) and a viewer (vic) with their sessions (signed in once: hashing passwords is slow)."""
    with Store(url) as store:
        signed_up(store)
        return {key: sign_in(store, user, PASSWORD, utcnow()) for key, user in PEOPLE}


class Editor:
    """The app on a store holding ana and vic; `client(key)` is a client with that session's cookie."""

    def __init__(self, url: str, sessions: dict[str, str]) -> None:
        self.app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
        self.store: Store = self.app.state.store
        self.sessions = sessions

    def client(self, key: str) -> TestClient:
        """A new client (its own cookies) signed in as one of PEOPLE."""
        client = TestClient(self.app)
        client.cookies.set(SESSION_COOKIE, self.sessions[key])
        return client


@pytest.fixture(scope="module")
def editor_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A DuckDB store with the people signed in, built once per module and copied for each test."""
    path = tmp_path_factory.mktemp("survey-editor") / "editor.duckdb"
    return path, _people(f"duckdb:///{path}")


def _editor(url: str, request: pytest.FixtureRequest) -> Iterator[Editor]:
    if url.startswith("duckdb:///"):
        built, sessions = request.getfixturevalue("editor_file")
        shutil.copyfile(built, url.removeprefix("duckdb:///"))
    else:
        sessions = _people(url)
    made = Editor(url, sessions)
    with TestClient(made.app):
        yield made
    made.store.close()


@pytest.fixture
def editor(duckdb_url: str, request: pytest.FixtureRequest) -> Iterator[Editor]:
    """The editor on DuckDB."""
    yield from _editor(duckdb_url, request)


@pytest.fixture
def both(store_url: str, request: pytest.FixtureRequest) -> Iterator[Editor]:
    """The editor on each backend."""
    yield from _editor(store_url, request)


class FormReader(HTMLParser):
    """The fields one form of a page submits, as a browser would send them without a button's own
    name: text and hidden inputs, ticked boxes ("on"), the selected option, textareas."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "option" and self.select is not None:
            if "selected" in a or self.select not in self.fields:  # the first option, unless one is chosen
                self.fields[self.select] = a.get("value", "")
            return
        name = a.get("name")
        if name is None or tag not in ("input", "select", "textarea"):
            return
        if tag == "input" and a.get("type") == "checkbox":
            if "checked" in a:
                self.fields[name] = "on"
        elif tag == "input":
            self.fields[name] = a.get("value", "")
        elif tag == "select":
            self.select = name
        else:
            self.textarea, self.fields[name] = name, ""

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def form_of(page: str, form_id: str = "survey-edit") -> dict[str, str]:
    """What the form `form_id` of a page sends as it stands."""
    reader = FormReader(form_id)
    reader.feed(page)
    assert reader.fields, f"the page has no form #{form_id}"
    return {k: v.removeprefix("\n") if k.startswith("q") else v for k, v in reader.fields.items()}


def created(client: TestClient, **fields: str) -> str:
    """Create a survey from the list page's form; the survey page it lands on."""
    page = client.get("/surveys").text
    answer = client.post("/surveys", data={"csrf_token": csrf(page), "template": "nps"} | fields)
    assert answer.status_code == 200 and answer.url.path.startswith("/surveys/"), answer.text
    return html.unescape(answer.text)


def question_index(fields: dict[str, str], question_id: str) -> int:
    """The form position of the question with this id."""
    return next(int(k[1:-3]) for k, v in fields.items() if re.fullmatch(r"q\d+-id", k) and v == question_id)


def test_an_analyst_creates_a_survey_from_a_template_and_a_viewer_reads_it(editor: Editor) -> None:
    ana = editor.client("ana")
    assert "No survey yet" in ana.get("/surveys").text
    page = created(ana)
    assert "<h2>Survey nps</h2>" in page and "The survey is created as version 1" in page
    assert 'id="survey-edit"' in page and 'id="do-publish"' in page
    info = catalog.get_survey(editor.store, "nps")
    assert (info.status, info.version, info.created_by) == ("draft", 1, "ana")
    listed = ana.get("/surveys").text
    assert 'id="survey-nps"' in listed and "not published" in listed

    vic = editor.client("vic")
    assert 'id="new-survey-form"' not in vic.get("/surveys").text
    read = vic.get("/surveys/nps").text
    assert 'id="survey-edit"' not in read and 'id="survey-view"' in read and 'id="do-publish"' not in read
    token = csrf(read)
    for path in (
        "/surveys",
        "/surveys/nps",
        "/surveys/nps/publish",
        "/surveys/nps/close",
        "/surveys/nps/link",
    ):
        refused = vic.post(path, data={"csrf_token": token, "template": "csat", "expected_version": "1"})
        assert refused.status_code == 403, path
    assert catalog.get_survey(editor.store, "nps").version == 1


def test_a_post_without_the_sessions_csrf_token_is_refused(editor: Editor) -> None:
    ana = editor.client("ana")
    page = created(ana)
    assert ana.post("/surveys", data={"template": "ces", "touchpoint": "support"}).status_code == 403
    fields = form_of(page) | {"action": "save", "csrf_token": "0" * 32}
    assert ana.post("/surveys/nps", data=fields).status_code == 403
    assert ana.post("/surveys/nps/publish", data={}).status_code == 403
    assert [s.name for s in catalog.list_surveys(editor.store)] == ["nps"]
    assert catalog.get_survey(editor.store, "nps").status == "draft"


def test_one_save_of_several_edits_is_one_version_and_the_old_wording_stays_readable(editor: Editor) -> None:
    ana = editor.client("ana")
    page = created(ana)
    before, _ = catalog.definition_of(editor.store, "nps", 1)
    fields = form_of(page)
    first = before.questions[0]
    fields[f"q0-text-{before.languages[0]}"] = "Would you tell a friend about us?"

    added = ana.post("/surveys/nps", data=fields | {"action": "add", "new_type": "choice"})
    assert added.status_code == 200 and "Not saved yet" in added.text
    assert catalog.get_survey(editor.store, "nps").version == 1  # adding saved nothing
    fields = form_of(added.text)
    last = int(fields["questions"]) - 1
    assert fields[f"q{last}-type"] == "choice" and fields["q0-text-en"] == "Would you tell a friend about us?"
    fields[f"q{last}-options-en"] = "price = The price\nservice = The service"

    moved = ana.post("/surveys/nps", data=fields | {"action": f"up-{last}"})
    fields = form_of(moved.text)
    assert fields[f"q{last - 1}-type"] == "choice"
    saved = ana.post("/surveys/nps", data=fields | {"action": "save"})
    assert saved.status_code == 200 and "Saved as a new version." in saved.text

    info = catalog.get_survey(editor.store, "nps")
    assert info.version == 2
    after, _ = catalog.definition_of(editor.store, "nps", 2)
    assert after.questions[0].text == {"en": "Would you tell a friend about us?"}
    choice = after.questions[last - 1]
    assert choice.type == "choice" and [o.value for o in choice.options] == ["price", "service"]
    assert len(after.questions) == len(before.questions) + 1
    old = html.unescape(ana.get("/surveys/nps/versions/1").text)
    assert first.text["en"] in old and "Would you tell a friend" not in old
    assert 'id="read-version-1"' in saved.text and 'id="read-version-2"' in saved.text
    assert ana.get("/surveys/nps/versions/3").status_code == 404

    unchanged = ana.post("/surveys/nps", data=form_of(saved.text) | {"action": "save"})
    assert "no new version was saved" in unchanged.text
    removed = ana.post("/surveys/nps", data=form_of(saved.text) | {"action": f"remove-{last - 1}"})
    assert int(form_of(removed.text)["questions"]) == len(before.questions)
    assert catalog.get_survey(editor.store, "nps").version == 2


def test_problems_are_shown_at_their_fields_and_nothing_is_saved(editor: Editor) -> None:
    ana = editor.client("ana")
    fields = form_of(created(ana)) | {"action": "save"}
    wrong = fields | {"q0-id": "Bad Id", "brand-primary": "blue"}
    answer = ana.post("/surveys/nps", data=wrong)
    page = html.unescape(answer.text)
    assert answer.status_code == 400 and 'id="survey-problems"' in page
    assert 'id="q0-id" name="q0-id" value="Bad Id"' in page  # what was typed stays in the form
    assert re.search(r'id="q0-id"[^>]*aria-invalid="true" aria-describedby="q0-id-problem"', page)
    assert "Question 1's id must be lowercase letters, digits and _ that start with a letter." in page
    assert "brand-primary-problem" in page

    added = ana.post("/surveys/nps", data=fields | {"action": "add", "new_type": "choice"})
    one = form_of(added.text)
    last = int(one["questions"]) - 1
    one[f"q{last}-options-en"] = "only = The only one"
    answer = ana.post("/surveys/nps", data=one | {"action": "save"})
    page = html.unescape(answer.text)
    assert answer.status_code == 400
    assert f'aria-describedby="q{last}-options-en-problem"' in page and "needs at least two options" in page

    emptied = ana.post("/surveys/nps", data=fields | {"title-en": ""})
    assert emptied.status_code == 400 and "The survey needs a title in en." in emptied.text
    assert catalog.get_survey(editor.store, "nps").version == 1


def test_a_stale_save_is_refused_with_who_saved_meanwhile(both: Editor) -> None:
    first, second = both.client("ana"), both.client("ana-again")
    mine = form_of(created(first)) | {"action": "save"}
    theirs = form_of(second.get("/surveys/nps").text) | {"action": "save"}
    assert first.post("/surveys/nps", data=mine | {"q0-text-en": "First wording"}).status_code == 200
    late = second.post("/surveys/nps", data=theirs | {"q0-text-en": "Second wording"})
    page = html.unescape(late.text)
    assert late.status_code == 409 and "Someone else saved this survey since you opened it" in page
    assert "version 2" in page and "by ana" in page and 'id="reload-survey"' in page
    assert "Second wording" in page  # what they typed is shown back, not stored
    definition, version = catalog.definition_of(both.store, "nps", None)
    assert version == 2 and definition.questions[0].text["en"] == "First wording"


def test_the_toml_box_saves_a_whole_definition_or_says_what_is_wrong(editor: Editor) -> None:
    ana = editor.client("ana")
    page = created(ana)
    box = form_of(page, "survey-toml-form")
    broken = ana.post("/surveys/nps", data=box | {"toml": "name = [unclosed"})
    said = html.unescape(broken.text)
    assert broken.status_code == 400 and "The TOML: not valid TOML" in said and 'id="toml-problem"' in said
    other = ana.post(
        "/surveys/nps", data=box | {"toml": box["toml"].replace('name = "nps"', 'name = "other"')}
    )
    assert other.status_code == 400 and "a survey keeps its name" in html.unescape(other.text)
    assert "layout" not in box["toml"]  # the default is left out
    edited = 'layout = "one_page"\n' + box["toml"]
    saved = ana.post("/surveys/nps", data=box | {"toml": edited})
    assert saved.status_code == 200 and "Saved as a new version." in saved.text
    definition, version = catalog.definition_of(editor.store, "nps", None)
    assert (version, definition.layout) == (2, "one_page")


def test_publish_a_link_by_hand_the_preview_and_close(both: Editor) -> None:
    ana = both.client("ana")
    page = created(ana)
    token = csrf(page)
    early = ana.post("/surveys/nps/link", data={"csrf_token": token, "customer": "C1"})
    assert early.status_code == 400 and "not published yet" in html.unescape(early.text)
    published = ana.post("/surveys/nps/publish", data={"csrf_token": token})
    assert "Published: new invitations and links ask this version." in published.text
    assert catalog.get_survey(both.store, "nps").published_version == 1

    made = html.unescape(ana.post("/surveys/nps/link", data={"csrf_token": token, "customer": "C1"}).text)
    url = re.search(r'id="respondent-link" href="([^"]+)"', made)
    assert url and "/s/" in url.group(1)
    with both.store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT recipient_id, reason, version FROM survey_invitations")).one()
    assert tuple(row) == ("C1", "manual", 1)
    listed = ana.get("/surveys").text
    assert '<td class="number">1</td>' in listed and "insufficient data, n=1" in listed

    preview = ana.get("/surveys/nps/preview", params={"lang": "en"})
    definition, _ = catalog.definition_of(both.store, "nps", 1)
    assert preview.status_code == 200 and "Preview" in preview.text
    assert html.escape(definition.questions[0].text["en"], quote=False) in preview.text
    assert ana.get("/surveys/nps/preview", params={"lang": "xx"}).status_code == 400

    closed = ana.post("/surveys/nps/close", data={"csrf_token": token})
    assert "Closed: its links take no more answers." in closed.text
    assert catalog.get_survey(both.store, "nps").status == "closed"
    again = ana.post("/surveys/nps/link", data={"csrf_token": token, "customer": "C2"})
    assert again.status_code == 400 and "is closed" in html.unescape(again.text)


def test_a_new_survey_that_cannot_be_made_says_why_in_the_list(editor: Editor) -> None:
    ana = editor.client("ana")
    created(ana)
    token = csrf(ana.get("/surveys").text)
    taken = ana.post("/surveys", data={"csrf_token": token, "template": "nps"})
    assert taken.status_code == 400 and "There is already a survey named 'nps'" in html.unescape(taken.text)
    no_touchpoint = ana.post("/surveys", data={"csrf_token": token, "template": "csat"})
    assert no_touchpoint.status_code == 400 and "asks about one touchpoint" in no_touchpoint.text
    badly = ana.post("/surveys", data={"csrf_token": token, "template": "nps", "name": "Our Survey!"})
    assert badly.status_code == 400 and "A survey's name is lowercase letters" in html.unescape(badly.text)
    pasted = ana.post("/surveys", data={"csrf_token": token, "toml": "title = 3"})
    assert pasted.status_code == 400 and "The TOML you pasted" in html.unescape(pasted.text)
    csat = ana.post("/surveys", data={"csrf_token": token, "template": "csat", "touchpoint": "support"})
    assert csat.status_code == 200 and csat.url.path == "/surveys/csat-support"
    assert ana.get("/surveys/nothing").status_code == 404


@pytest.mark.parametrize(
    ("kind", "touchpoint"), [("servqual", ""), ("beliefs", ""), ("csat", "support"), ("ces", "billing")]
)
def test_every_template_goes_through_the_form_unchanged(editor: Editor, kind: str, touchpoint: str) -> None:
    ana = editor.client("ana")
    page = created(ana, template=kind, touchpoint=touchpoint)
    name = re.search(r"<h2>Survey ([a-z0-9_-]+)</h2>", page)
    assert name, page
    again = ana.post(f"/surveys/{name.group(1)}", data=form_of(page) | {"action": "save"})
    assert again.status_code == 200 and "no new version was saved" in again.text, html.unescape(again.text)


def test_a_second_language_gets_its_fields_and_each_missing_wording_is_named(editor: Editor) -> None:
    ana = editor.client("ana")
    fields = form_of(created(ana)) | {"action": "save", "languages": "en, de"}
    answer = ana.post("/surveys/nps", data=fields)
    page = html.unescape(answer.text)
    assert answer.status_code == 400 and 'id="title-de"' in page and 'id="q0-text-de"' in page
    assert 'aria-describedby="title-de-problem"' in page and "Title has no 'de' wording" in page
    german = form_of(answer.text)
    for key in [k for k in german if k.endswith("-en") and german[k]]:
        german[key.removesuffix("-en") + "-de"] = "DE: " + german[key]
    saved = ana.post("/surveys/nps", data=german | {"action": "save"})
    assert saved.status_code == 200 and "Saved as a new version." in saved.text, html.unescape(saved.text)
    definition, _ = catalog.definition_of(editor.store, "nps", 2)
    assert definition.languages == ["en", "de"] and definition.questions[0].text["de"].startswith("DE: ")
    assert 'id="preview-de"' in saved.text
    assert "DE: " in ana.get("/surveys/nps/preview", params={"lang": "de"}).text
