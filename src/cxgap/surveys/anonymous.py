"""Anonymous links for public use (`/s/a/<name>`): each visit gets an invitation of its own, with no
recipient, so the answer is single use like any other; bots are kept out by a rate limit per client
address and a honeypot field that people never see and bots fill in."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from cxgap.config import Settings
from cxgap.errors import NotFound
from cxgap.limits import RateLimited, RateLimiter
from cxgap.store import Store
from cxgap.surveys.catalog import definition_of
from cxgap.surveys.links import Link, SurveyClosed, new_invitation

HONEYPOT_FIELD = "website"
"""A form field hidden from people (and from screen readers): a form that arrives with it filled in was
filled in by a bot."""


def open_anonymous(store: Store, settings: Settings, survey: str, now: dt.datetime) -> Link:
    """A fresh anonymous invitation to a published survey whose definition allows public answers;
    NotFound (the same sentence whether the survey is missing, a draft, or not public), `SurveyClosed`
    once it is closed."""
    missing = NotFound(f"There is no public survey named '{survey}'; check the address.")
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT status, published_version FROM surveys WHERE name = :n"), {"n": survey}
        ).one_or_none()
    if row is None or row.published_version is None or row.status not in ("published", "closed"):
        raise missing  # a draft is not public yet, so it is not there at all
    if not definition_of(store, survey, int(row.published_version))[0].anonymous:
        raise missing
    if row.status == "closed":
        raise SurveyClosed("This survey is closed and takes no more answers; thank you all the same.")
    return new_invitation(store, settings, survey, "anonymous", None, "anonymous", now)


def is_bot(form: Mapping[str, Any]) -> bool:
    """Whether a posted form filled in the honeypot field (people leave it empty)."""
    value = form.get(HONEYPOT_FIELD)
    return bool(str(value).strip()) if value is not None else False


class AnonymousGuard:
    """At most `per_minute` anonymous links opened or answered a minute from one client address (its
    whole allowance may come at once: a household behind one address); `.check(client)` raises
    `RateLimited` beyond it. `clock` gives seconds; tests pass their own."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._limiter: RateLimiter = RateLimiter(per_minute, burst=per_minute, clock=clock)

    def check(self, client: str) -> None:
        """Spend one of `client`'s allowance, or raise `RateLimited` saying when to try again."""
        try:
            self._limiter.take(client)
        except RateLimited as limited:
            wait = max(1, round(limited.retry_after))
            raise RateLimited(
                f"Too many survey answers from this address; try again in {wait} seconds.",
                limited.retry_after,
            ) from None
