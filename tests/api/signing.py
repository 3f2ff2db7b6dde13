"""Helpers for tests that act as a signed-in person: sign in through the form, read a page's CSRF token."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from cxgap.access import add_user, issue_token, set_password
from cxgap.store import Store

PASSWORD = "correct horse battery staple"


def signed_up(store: Store) -> dict[str, str]:
    """An analyst (ana) and a viewer (vic), each with the test password; their API tokens by name."""
    tokens = {}
    for name, role in (("ana", "analyst"), ("vic", "viewer")):
        add_user(store, name, role)
        set_password(store, name, PASSWORD)
        tokens[name] = issue_token(store, name)
    return tokens


def sign_in(client: TestClient | httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    """Post the sign-in form as a browser would (with the form's own token); the client keeps the cookie."""
    form = client.get("/sign-in")
    token = re.search(r'name="form_token" value="([^"]+)"', form.text)
    assert token, form.text
    return client.post(
        "/sign-in",
        data={"username": name, "password": password, "form_token": token.group(1), "next": "/"},
        follow_redirects=False,
    )


def csrf(page: str) -> str:
    """The CSRF token a page gives htmx (its body's hx-headers)."""
    found = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', page)
    assert found, "the page carries no CSRF token"
    return found.group(1)
