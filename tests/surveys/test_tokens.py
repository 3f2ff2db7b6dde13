"""Respondent tokens: short, URL-safe, signed; anything but an intact token is `InvalidLink` and nothing
else; the store's secret is made once, even when several threads ask for it at the same moment."""

from __future__ import annotations

import datetime as dt
import re
import string
import threading

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cxgap.store import Store
from cxgap.surveys.tokens import InvalidLink, read_link, read_token, sign_token, survey_secret

SECRET = bytes(range(32))
EXPIRES = dt.datetime(2026, 5, 12, 9, 30, 15)
INVITATION = "Zx3_-a9Qm2LkPq0w"  # the shape links.new_invitation makes: token_urlsafe(12)


def test_a_token_is_short_url_safe_and_reads_back() -> None:
    token = sign_token(SECRET, INVITATION, EXPIRES)
    assert len(token) < 80 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert read_token(SECRET, token) == INVITATION
    invitation, expires = read_link(SECRET, token)
    assert invitation == INVITATION
    assert expires == dt.datetime(2026, 5, 12, 9, 31)  # rounded up to the minute: never shorter than its row
    aware = EXPIRES.replace(tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert read_link(SECRET, sign_token(SECRET, INVITATION, aware))[1] == dt.datetime(2026, 5, 12, 7, 31)


def test_every_cut_and_every_changed_character_is_refused() -> None:
    token = sign_token(SECRET, INVITATION, EXPIRES)
    for end in range(len(token)):
        with pytest.raises(InvalidLink, match="check that the whole link was copied"):
            read_token(SECRET, token[:end])
    alphabet = string.ascii_letters + string.digits + "-_"
    for position in range(len(token)):
        for swap in (alphabet[(alphabet.index(token[position]) + 1) % 64], "!", "=", " "):
            changed = token[:position] + swap + token[position + 1 :]
            with pytest.raises(InvalidLink):
                read_token(SECRET, changed)
    with pytest.raises(InvalidLink):
        read_token(SECRET, token + "A")
    with pytest.raises(InvalidLink):
        read_token(bytes(32), token)  # another store's secret


def test_a_token_for_another_invitation_or_expiry_cannot_be_made_from_one() -> None:
    token = sign_token(SECRET, INVITATION, EXPIRES)
    later = sign_token(b"not the secret" * 3, INVITATION, EXPIRES + dt.timedelta(days=365))
    other = sign_token(b"not the secret" * 3, "another-invitatn", EXPIRES)
    for forged in (later, other, token[:-22] + later[-22:]):
        with pytest.raises(InvalidLink):
            read_token(SECRET, forged)


@hypothesis_settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=120).map(lambda b: b.hex())))
def test_garbage_is_invalid_link_and_never_another_error(garbage: str) -> None:
    try:
        read_token(SECRET, garbage)
    except InvalidLink:
        return
    pytest.fail(f"{garbage!r} was read as a token")


def test_the_store_secret_is_made_once_and_kept(store_url: str) -> None:
    with Store(store_url) as first:
        secret = survey_secret(first)
        assert len(secret) == 32 and survey_secret(first) == secret
    with Store(store_url) as again:  # another process, later
        assert survey_secret(again) == secret
        with again.engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT value FROM store_meta WHERE name = 'survey_secret'")
            ).scalar()
        assert stored == secret.hex()


def test_threads_asking_at_once_all_get_the_one_secret(store_url: str) -> None:
    stores = [Store(store_url, upgrade=i == 0) for i in range(6)]  # each its own cache, as processes
    start, found, errors = threading.Barrier(len(stores)), [], []

    def ask(store: Store) -> None:
        start.wait()
        try:
            found.append(survey_secret(store))
        except Exception as error:  # the test reports any error at all
            errors.append(error)

    threads = [threading.Thread(target=ask, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert not errors and len(found) == len(stores) and len(set(found)) == 1
