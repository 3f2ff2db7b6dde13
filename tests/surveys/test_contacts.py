"""The contact list and opt-outs: a CSV import that loads the good rows and names each bad one by row and
column (never echoing an address), upserts by (kind, id) and says how many customers' contacts are not
customers; opt-outs by id and by address that hold forever; and the opt-out page at /s/<token>/opt-out,
which works for a used or expired link too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxgap.api import create_app
from cxgap.config import Settings
from cxgap.errors import CxgapError, InputFileError
from cxgap.store import Store
from cxgap.surveys.contacts import (
    email_key,
    email_key_sql,
    import_contacts,
    is_opted_out,
    opt_out,
)
from cxgap.surveys.links import new_invitation
from tests.api.on_demand import ON_DEMAND
from tests.surveys.inviting import add_customers, publish_surveys, settings_for

NOW = dt.datetime(2026, 6, 10, 10)
Write = Callable[[str, str], Path]


def rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql))]


def test_an_import_loads_the_good_rows_and_names_the_bad_ones(store: Store, write: Write) -> None:
    add_customers(store, ["c1", "c2"])
    path = write(
        "contacts.csv",
        "id,email,language\n"
        "c1,ann@example.com,de\n"
        "c2, bob@example.com ,\n"
        "c3,not-an-address,en\n"
        ",nobody@example.com,en\n"
        "c1,again@example.com,en\n"
        "c4,cy@example.com,english please\n"
        "c5,dee@example.com,pt_BR\n",
    )
    result = import_contacts(store, path, "customer", NOW)
    assert (result.read, result.loaded, result.refused, result.not_customers) == (7, 3, 4, 1)
    assert [p.sentence() for p in result.problems] == [
        "Row 4, column email: not an e-mail address (like name@example.com).",
        "Row 5, column id: empty or longer than 128 characters.",
        "Row 6, column id: the same id as row 2.",
        "Row 7, column language: not a language code (like en, de or pt-BR).",
    ]
    assert "not-an-address" not in result.to_frame().to_string()  # an address is never echoed
    assert result.sentence() == (
        "7 customer contacts read: 3 loaded, 4 refused. 1 of them are not customers in the store (yet)."
    )
    assert rows(store, "SELECT recipient_id, email, language FROM survey_contacts ORDER BY 1") == [
        ("c1", "ann@example.com", "de"),
        ("c2", "bob@example.com", None),
        ("c5", "dee@example.com", "pt-br"),
    ]
    again = import_contacts(store, write("again.csv", "id,email\nc1,ann.new@example.com\n"), "customer", NOW)
    assert again.loaded == 1 and store.count("survey_contacts") == 3  # updated, not added
    assert rows(store, "SELECT email FROM survey_contacts WHERE recipient_id = 'c1'") == [
        ("ann.new@example.com",)
    ]


def test_staff_need_a_known_role(duck_store: Store, write: Write) -> None:
    path = write(
        "staff.csv", "id,email,role\ns1,s1@example.com,Leader\ns2,s2@example.com,boss\ns3,s3@example.com,\n"
    )
    result = import_contacts(duck_store, path, "staff", NOW)
    assert result.loaded == 1 and [p.sentence() for p in result.problems] == [
        "Row 3, column role: not one of leader, manager, frontline, other.",
        "Row 4, column role: not one of leader, manager, frontline, other.",
    ]
    assert rows(duck_store, "SELECT recipient_id, role FROM survey_contacts") == [("s1", "leader")]


def test_an_unbalanced_quote_or_a_ragged_row_costs_its_own_row_only(duck_store: Store, write: Write) -> None:
    """Python's csv module alone lets an open quote swallow the rows after it (a traceback, once, on a
    short row): the import's line-accounting reader refuses that row and reads the next ones."""
    path = write(
        "contacts.csv",
        'id,email,language\nc1,a@example.com,en\nc2,"b@example.com,de\nc3,c@example.com,en\n'
        "c4,d@example.com,en,extra\nc5,e@example.com\n",
    )
    result = import_contacts(duck_store, path, "customer", NOW)
    assert (result.read, result.loaded, result.refused) == (5, 2, 3)
    assert [(p.row, p.column) for p in result.problems] == [
        (3, "(the whole row)"),
        (5, "(the whole row)"),
        (6, "(the whole row)"),
    ]
    assert rows(duck_store, "SELECT recipient_id FROM survey_contacts ORDER BY 1") == [("c1",), ("c3",)]


def test_a_file_that_is_not_a_contact_list_is_one_sentence(
    duck_store: Store, write: Write, tmp_path: Path
) -> None:
    with pytest.raises(
        InputFileError, match="has no 'email' column; a contact list has the columns id, email"
    ):
        import_contacts(duck_store, write("a.csv", "id,mail\nc1,a@example.com\n"), "customer", NOW)
    with pytest.raises(InputFileError, match="has the column 'phone'; a contact list has only id, email"):
        import_contacts(duck_store, write("b.csv", "id,email,phone\n"), "customer", NOW)
    with pytest.raises(InputFileError, match="There is no contact list at"):
        import_contacts(duck_store, tmp_path / "missing.csv", "customer", NOW)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,email\nc1,jos\xe9@example.com\n".encode("latin-1"))
    with pytest.raises(InputFileError, match="is not UTF-8 text"):
        import_contacts(duck_store, latin, "customer", NOW)
    with pytest.raises(CxgapError, match="The contact kind 'partner' is not one of customer, staff."):
        import_contacts(duck_store, write("c.csv", "id,email\n"), "partner", NOW)


def test_an_opt_out_holds_by_id_and_by_address_forever(store: Store, write: Write) -> None:
    assert opt_out(store, "customer", "c1", "Ann@Example.com ", "link", NOW) == 2
    assert opt_out(store, "customer", "c1", "ann@example.com", "link", NOW) == 0  # already
    assert is_opted_out(store, "customer", "c1")  # the same person under another address
    assert is_opted_out(store, "customer", "c-new", "ANN@example.com")  # the address under a new id
    assert not is_opted_out(store, "customer", "c2", "bob@example.com")
    assert not is_opted_out(store, "staff", "c1")
    keys = [key for (key,) in rows(store, "SELECT opt_out_key FROM survey_opt_outs ORDER BY 1")]
    assert keys == ["customer:c1", email_key("ann@example.com")] and "ann" not in keys[1]
    sql = f"SELECT {email_key_sql(store.backend, ':a')}"
    with store.engine.connect() as conn:  # the backend computes the very same key as Python
        assert conn.execute(sa.text(sql), {"a": " Ann@Example.COM"}).scalar() == email_key("ann@example.com")
    import_contacts(store, write("c.csv", "id,email\nc3,cy@example.com\n"), "customer", NOW)
    assert opt_out(store, "customer", "c3", None, "admin", NOW) == 2  # by id, and their listed address
    assert is_opted_out(store, "customer", "c3-new", "cy@example.com")
    with pytest.raises(CxgapError, match="needs the person's id or e-mail address"):
        opt_out(store, "customer", None, " ", "admin", NOW)
    with pytest.raises(CxgapError, match="An opt-out is recorded by link, admin, import"):
        opt_out(store, "customer", "c1", None, "phone", NOW)


class Site:
    """A TestClient app on a store with a published survey, a customer's contact and a staff survey."""

    def __init__(self, url: str) -> None:
        self.settings: Settings = settings_for(url, None).model_copy(update={"server": ON_DEMAND})
        with Store(url) as store:
            publish_surveys(store, self.settings, "pulse", company="Acme Telecom")
            store_contact(store)
        self.app = create_app(self.settings)
        self.app.state.clock = lambda: NOW
        self.store: Store = self.app.state.store
        self.client = TestClient(self.app)

    def token(self, kind: str = "customer", who: str | None = "c1", at: dt.datetime = NOW) -> str:
        return new_invitation(self.store, self.settings, "pulse", kind, who, "manual", at).token


def store_contact(store: Store) -> None:
    with store.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO survey_contacts (kind, recipient_id, email, added_at) "
                "VALUES ('customer', 'c1', 'ann@example.com', :at)"
            ),
            {"at": NOW},
        )


@pytest.fixture
def site(store_url: str) -> Iterator[Site]:
    made = Site(store_url)
    with made.client:
        yield made
    made.app.state.dashboard.close()


def test_the_opt_out_page_asks_then_records_it_for_good(site: Site) -> None:
    token = site.token()
    page = site.client.get(f"/s/{token}/opt-out")
    assert page.status_code == 200 and "Stop survey invitations?" in page.text
    assert "Acme Telecom" in page.text and 'action="/s/' + token + '/opt-out"' in page.text
    assert "<nav" not in page.text and "no-store" in page.headers["cache-control"]
    assert "ann@example.com" not in page.text
    done = site.client.post(f"/s/{token}/opt-out")
    assert done.status_code == 200 and "You will not be asked again" in done.text
    assert is_opted_out(site.store, "customer", "c1") and is_opted_out(
        site.store, "customer", "x", "ann@example.com"
    )
    assert "You have already opted out" in site.client.get(f"/s/{token}/opt-out").text


def test_an_expired_or_used_link_still_opts_out(site: Site) -> None:
    expired = site.token(at=NOW - dt.timedelta(days=60))
    assert "Stop survey invitations?" in site.client.get(f"/s/{expired}/opt-out").text
    used = site.token()
    with site.store.begin() as conn:
        conn.execute(
            sa.text("UPDATE survey_invitations SET status = 'answered', answered_at = :at"), {"at": NOW}
        )
    assert site.client.post(f"/s/{used}/opt-out").status_code == 200
    assert is_opted_out(site.store, "customer", "c1")


def test_a_made_up_or_anonymous_link_opts_nobody_out(site: Site) -> None:
    bad = site.client.get("/s/not-a-real-token/opt-out")
    assert bad.status_code == 404 and "This link does not work" in bad.text
    assert site.client.post("/s/not-a-real-token/opt-out").status_code == 404
    anonymous = site.token("anonymous", None)
    page = site.client.post(f"/s/{anonymous}/opt-out")
    assert page.status_code == 200 and "Nothing to opt out of" in page.text
    assert site.store.count("survey_opt_outs") == 0
