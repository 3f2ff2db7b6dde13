"""Filters: months are checked, the period is whole months, the URL form round-trips."""

from __future__ import annotations

import datetime as dt

import pytest

from cxgap.engine import Filters
from cxgap.errors import CxgapError


def test_the_period_covers_whole_months() -> None:
    f = Filters(since="2024-02", until="2024-02")
    assert f.first_day == dt.date(2024, 2, 1) and f.end == dt.date(2024, 3, 1)
    assert Filters(until="2024-12").end == dt.date(2025, 1, 1)


def test_empty_values_mean_no_filter_and_the_query_round_trips() -> None:
    assert not Filters(since="", segment="").active
    f = Filters(since="2024-01", channel="phone")
    assert f.active and Filters(**f.query()) == f
    assert f.describe() == "2024-01 to now, channel phone"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": "2024-13"}, "since = '2024-13' is not a month"),
        ({"until": "last week"}, "until = 'last week' is not a month"),
        ({"since": "2024-05", "until": "2024-01"}, "starts (2024-05) after it ends (2024-01)"),
    ],
)
def test_bad_months_get_one_clear_sentence(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(CxgapError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Filters(**kwargs)
