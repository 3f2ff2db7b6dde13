"""PII redaction: every kind, inside punctuation and unicode; look-alikes (dates, order numbers) survive."""

from __future__ import annotations

import pytest

from cxgap.io.redact import Redactor

R = Redactor(["Jane Doe", "José Müller-Lüdenscheidt", "Ng Wei"])


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("mail me: jane.doe+cx@example.co.uk, thanks", "mail me: [EMAIL], thanks", "email"),
        ("（邮箱：wang.li@例子.中国）", "（邮箱：[EMAIL]）", "email"),
        ("<jörg@mañana.de>!", "<[EMAIL]>!", "email"),
        ("call +44 20 7946 0958.", "call [PHONE].", "phone"),
        ("ring (415) 555-2671!", "ring [PHONE]!", "phone"),
        ("tel:0049/30/1234567", "tel:[PHONE]", "phone"),
        ("my number is ０２０７９４６０９５８", "my number is [PHONE]", "phone"),
        ("card 4111 1111 1111 1111, exp 12/27", "card [CARD], exp 12/27", "card"),
        ("(5500-0000-0000-0004)", "([CARD])", "card"),
        ("IBAN: DE89 3704 0044 0532 0130 00.", "IBAN: [IBAN].", "iban"),
        ("gb82west12345698765432", "[IBAN]", "iban"),
        ("Thanks, Jane Doe!", "Thanks, [NAME]!", "name"),
        ("«jose\u0301 müller-lüdenscheidt» called", "«[NAME]» called", "name"),
        ("NG WEI,again", "[NAME],again", "name"),
    ],
)
def test_each_kind_is_redacted_in_context(text: str, expected: str, kind: str) -> None:
    result = R.redact(text)
    assert result.text == expected
    assert result.counts == {kind: 1}


@pytest.mark.parametrize(
    "text",
    [
        "booked for 2024-01-05 at 10:30",
        "order 4111 1111 1111 1112 (not a valid card)",
        "DE89 3704 0044 0532 0130 01 is no IBAN",
        "we paid 1,234.56 for 3 months",
        "Jane called; Doe is a deer",
        "ticket #12345",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert R.redact(text).text == text.replace("\u0301", "")


def test_the_authors_own_name_parts_are_redacted_too() -> None:
    result = R.redact("Hi, this is Priya. Priya Natarajan from flat 3.", author="Priya Natarajan")
    assert result.text == "Hi, this is [NAME]. [NAME] from flat 3."
    assert result.counts == {"name": 2}


def test_several_kinds_are_counted_together() -> None:
    result = R.redact("Jane Doe <jane@example.com>, +1 415 555 2671, DE89370400440532013000")
    assert result.text == "[NAME] <[EMAIL]>, [PHONE], [IBAN]"
    assert result.counts == {"email": 1, "iban": 1, "phone": 1, "name": 1}


def test_imported_feedback_is_redacted_before_it_is_stored(store, write) -> None:
    import sqlalchemy as sa

    from cxgap.io import import_file, mapping_from_dict

    customers = {"table": "customers", "columns": {"customer_id": "id", "name": "name"}}
    import_file(store, write("c.csv", "id,name\nC1,Jane Doe\nC2,Ng Wei\n"), mapping_from_dict(customers))
    feedback = {
        "table": "feedback",
        "columns": {"feedback_id": "id", "customer_id": "customer", "text": "text", "rating": "stars"},
        "constants": {"source": "review"},
    }
    body = (
        "id,customer,text,stars\n"
        'F1,C2,"Wei here, call 020 7946 0958 or wei@example.com",2\n'
        'F2,,"Jane Doe was great",5\n'
        'F3,C1,"card 4111 1111 1111 1111 rejected",nine\n'
    )
    summary = import_file(store, write("f.csv", body), mapping_from_dict(feedback))
    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 1)
    assert summary.redacted == {"email": 1, "phone": 1, "name": 2, "card": 1}
    with store.engine.connect() as conn:
        texts = [r[0] for r in conn.execute(sa.text("SELECT text FROM feedback ORDER BY feedback_id"))]
        raw = conn.execute(sa.text("SELECT raw FROM quarantine")).scalar_one()
    assert texts == ["[NAME] here, call [PHONE] or [EMAIL]", "[NAME] was great"]
    assert "4111" not in raw and "[CARD]" in raw


def test_a_small_import_looks_up_only_the_names_it_mentions_and_redacts_the_same(
    store, write, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    from cxgap.io import import_file, importer, mapping_from_dict

    customers = {"table": "customers", "columns": {"customer_id": "id", "name": "name"}}
    people = 'id,name\nC1,"Jane  Doe"\nC2,José Müller-Lüdenscheidt\nC3,Ng Wei\nC4,Ann Lee\n'
    import_file(store, write("c.csv", people), mapping_from_dict(customers))
    feedback = {
        "table": "feedback",
        "columns": {"feedback_id": "id", "customer_id": "customer", "text": "text", "rating": "stars"},
        "constants": {"source": "review"},
    }
    rows = (
        'X1,C4,"Ann here: thanks jane doe",5\n'
        'X2,,"«jose\u0301 müller-lüdenscheidt» called",2\n'
        'X3,C1,"NG WEI,again",1\n'
        'X4,C1,"too",1,"many fields, mail ann@example.com"\n'
    )
    small = import_file(
        store,
        write("a.csv", "id,customer,text,stars\n" + rows.replace("X", "A")),
        mapping_from_dict(feedback),
    )
    monkeypatch.setattr(importer, "SMALL_CHUNK", 0)  # every chunk loads every name
    full = import_file(
        store,
        write("b.csv", "id,customer,text,stars\n" + rows.replace("X", "B")),
        mapping_from_dict(feedback),
    )
    assert small.redacted == full.redacted == {"name": 4, "email": 1}
    with store.engine.connect() as conn:
        texts = [r[0] for r in conn.execute(sa.text("SELECT text FROM feedback ORDER BY feedback_id"))]
        raws = [r[0] for r in conn.execute(sa.text("SELECT raw FROM quarantine ORDER BY raw"))]
    expected = ["[NAME] here: thanks [NAME]", "«[NAME]» called", "[NAME],again"]
    assert texts == expected + expected
    assert len(raws) == 2 and all("ann@example.com" not in r and "[EMAIL]" in r for r in raws)
