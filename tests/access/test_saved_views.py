"""Saved views in the store, on both backends: a person's views are theirs alone, a name saved again
replaces its view, and the limits and names are checked in one sentence."""

from __future__ import annotations

import datetime as dt

import pytest

from cxgap.access import views
from cxgap.errors import CxgapError, NotFound
from cxgap.store import Store

NOW = dt.datetime(2026, 1, 5, 9, 30)


def test_views_belong_to_their_owner_and_a_name_saved_again_replaces_its_view(store: Store) -> None:
    first = views.save_view(store, "ana", "  Small business risk ", "/risk", "segment=small_business", NOW)
    assert first.name == "Small business risk" and first.url == "/risk?segment=small_business"
    views.save_view(store, "vic", "Overview", "/", "", NOW)
    assert [v.name for v in views.list_views(store, "ana")] == ["Small business risk"]
    assert views.get_view(store, "ana", first.view_id) == first
    with pytest.raises(NotFound, match="You have no saved view"):
        views.get_view(store, "vic", first.view_id)
    with pytest.raises(NotFound, match="You have no saved view"):
        views.delete_view(store, "vic", first.view_id)
    later = NOW + dt.timedelta(days=1)
    again = views.save_view(store, "ana", "Small business risk", "/journeys", "segment=small_business", later)
    assert again.view_id == first.view_id
    assert views.list_views(store, "ana") == [again] and again.url == "/journeys?segment=small_business"
    views.delete_view(store, "ana", first.view_id)
    assert views.list_views(store, "ana") == [] and [v.name for v in views.list_views(store, "vic")] == [
        "Overview"
    ]


def test_names_and_the_number_of_views_are_limited(store: Store) -> None:
    with pytest.raises(CxgapError, match="A saved view needs a name"):
        views.save_view(store, "ana", " ", "/", "")
    with pytest.raises(CxgapError, match="at most 200 characters; this one has 201"):
        views.save_view(store, "ana", "x" * 201, "/", "")
    with pytest.raises(CxgapError, match="too long to save"):
        views.save_view(store, "ana", "long", "/", "a=" + "x" * views.MAX_QUERY)
    for i in range(views.MAX_VIEWS):
        views.save_view(store, "ana", f"view {i:03d}", "/", f"since=2025-{1 + i % 12:02d}", NOW)
    with pytest.raises(CxgapError, match=f"You have {views.MAX_VIEWS} saved views"):
        views.save_view(store, "ana", "one more", "/", "", NOW)
    views.save_view(store, "ana", "view 007", "/gaps", "", NOW)  # replacing one is still allowed
    assert len(views.list_views(store, "ana")) == views.MAX_VIEWS
