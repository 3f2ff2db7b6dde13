"""Per-person preferences: defaults filled in, one choice per event, only deadlines go in the digest."""

from __future__ import annotations

import pytest

from cxgap.errors import CxgapError, NotFound
from cxgap.notify import EVENTS, Preference, preferences, set_preference
from cxgap.store import Store


def test_defaults_tell_everything_at_once_and_send_the_digest(staffed: Store) -> None:
    assert preferences(staffed, "sam") == [Preference(e, True, False) for e in EVENTS]


def test_a_choice_replaces_the_last_and_leaves_the_others(staffed: Store) -> None:
    set_preference(staffed, "sam", "case_due", enabled=True, in_digest=True)
    set_preference(staffed, "sam", "case_due", enabled=True, in_digest=False)
    set_preference(staffed, "sam", "digest", enabled=False, in_digest=False)
    chosen = {p.event: p for p in preferences(staffed, "sam")}
    assert chosen["case_due"] == Preference("case_due", True, False)
    assert chosen["digest"] == Preference("digest", False, False)
    assert chosen["case_assigned"] == Preference("case_assigned", True, False)
    assert preferences(staffed, "lea") == [Preference(e, True, False) for e in EVENTS]


def test_bad_choices_are_refused_in_one_sentence(staffed: Store) -> None:
    with pytest.raises(CxgapError, match="is not one of case_assigned"):
        set_preference(staffed, "sam", "birthday", enabled=True, in_digest=False)
    with pytest.raises(CxgapError, match="Only case_due and case_overdue can go in the daily digest"):
        set_preference(staffed, "sam", "case_assigned", enabled=True, in_digest=True)
    with pytest.raises(NotFound, match="There is no user 'nobody'"):
        preferences(staffed, "nobody")
    with pytest.raises(NotFound):
        set_preference(staffed, "nobody", "case_due", enabled=False, in_digest=False)
