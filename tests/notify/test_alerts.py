"""Emerging-issue alerts reach the analysts once, computed by the text page's own analysis only when the
data or the themes changed (a run between imports reads the kept alerts back)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cxgap.config import Theme
from cxgap.notify import run_notifications
from cxgap.notify.alerts import current_alerts, keep_alerts
from cxgap.store import Store, insert_all
from tests.notify.conftest import add_staff, settings_for

START = dt.datetime(2026, 3, 2, 10, 0)  # a Monday; ten weeks of texts, the last a surge of log-in failures
TEXTS = {
    "app_login": ["I cannot log in to the app", "The app keeps logging me out", "Login to the app fails"],
    "billing": ["My invoice shows the wrong amount", "I was billed twice this month"],
    "delivery": ["The parcel arrived three days late", "Delivery was late again"],
}
THEMES = {
    "app_login": Theme(description="cannot log in to the mobile app", keywords=["log in", "login"]),
    "billing": Theme(description="wrong amount on the invoice or bill", keywords=["invoice", "billed"]),
    "delivery": Theme(description="the parcel or delivery arrived late", keywords=["parcel", "delivery"]),
}


def _texts(store: Store) -> None:
    rows = []
    for week in range(10):
        counts = {"app_login": 30 if week == 9 else 2, "billing": 20, "delivery": 20}
        for theme, n in counts.items():
            for i in range(n):
                rows.append(
                    {
                        "feedback_id": f"{theme}-{week}-{i}",
                        "source": "review",
                        "received_at": START + dt.timedelta(weeks=week, hours=i % 100),
                        "customer_id": f"c{i}",
                        "rating": 1.0 if i % 3 else 5.0,
                        "text": TEXTS[theme][i % len(TEXTS[theme])],
                    }
                )
    with store.begin() as conn:
        insert_all(conn, "feedback", pa.Table.from_pylist(rows))


@pytest.fixture
def texts(duck_store: Store) -> Store:
    add_staff(duck_store)
    _texts(duck_store)
    return duck_store


def test_an_emerging_issue_reaches_the_analysts_once(texts: Store, smtp, receiver) -> None:
    inbox, port = smtp
    settings = settings_for(texts.url, port, receiver.url).model_copy(update={"themes": THEMES})
    now = START + dt.timedelta(weeks=10, hours=2)  # just after the surging week ended
    run = run_notifications(texts, settings, now=now)
    assert run.failed == 0
    subjects = inbox.subjects("ana@example.com")
    assert subjects == ["[cxgap] Emerging issue: app_login is more frequent"]
    body = inbox.to("ana@example.com")[0].get_content()
    assert (
        "app_login: 30 mentions in the week of 2026-05-04" in body and "https://cx.example.com/text" in body
    )
    assert inbox.to("sam@example.com") == inbox.to("lea@example.com") == []  # team staff watch cases
    assert any("app_login" in b["text"] for b in receiver.bodies) and all(receiver.verified)
    assert run_notifications(texts, settings, now=now + dt.timedelta(hours=1)).sent == 0
    later = run_notifications(texts, settings, now=now + dt.timedelta(days=3))
    assert later.found == 0  # an alert older than the lookback is not sent at once


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")  # repeated texts, no warning
def test_alerts_are_computed_only_when_the_data_or_themes_change(texts: Store) -> None:
    settings = settings_for(texts.url).model_copy(update={"themes": THEMES})
    alerts, version = current_alerts(texts, settings)
    assert alerts.computed  # nothing kept yet
    with texts.begin() as conn:
        keep_alerts(conn, version, alerts)
    again, _ = current_alerts(texts, settings)
    assert not again.computed and again.alerts == alerts.alerts and alerts.alerts
    fewer = settings.model_copy(update={"themes": {k: v for k, v in THEMES.items() if k != "billing"}})
    assert current_alerts(texts, fewer)[0].computed  # other themes: analysed again
