"""Upstream links counted in one pass over the contacts equal the definition followed contact by contact in
pandas: per customer and ordered touchpoint pair, the first downstream contact after the first upstream
one, whether it failed, and whether the upstream touchpoint had failed before it."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
import sqlalchemy as sa

from cxgap.config import demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import Engine, Filters
from cxgap.journeys.incidents import incident_events
from cxgap.journeys.measures import pair_counts
from cxgap.journeys.slice import kept
from cxgap.store import Store


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with Store(f"duckdb:///{tmp_path_factory.mktemp('up') / 'demo.duckdb'}") as store:
        write_demo(store, simulate(600, seed=5))
        e = Engine(store)
        yield e
        e.close()


def _by_hand(contacts: pd.DataFrame, failed: set[str]) -> pd.DataFrame:
    contacts = contacts.dropna(subset=["customer_id", "touchpoint"]).copy()
    contacts["failed"] = contacts.interaction_id.astype(str).isin(failed)
    assert not contacts.duplicated(["customer_id", "touchpoint", "occurred_at"]).any()  # no ties to break
    rows = []
    for _, mine in contacts.groupby("customer_id"):
        for up, at_up in mine.groupby("touchpoint"):
            first, fails = at_up.occurred_at.min(), at_up.occurred_at[at_up.failed].min()
            later = mine[(mine.touchpoint != up) & (mine.occurred_at > first)].sort_values("occurred_at")
            for down, d in later.groupby("touchpoint"):
                contact = d.iloc[0]
                before = pd.notna(fails) and fails < contact.occurred_at
                rows.append((up, down, bool(before), bool(contact.failed)))
    frame = pd.DataFrame(rows, columns=["upstream", "downstream", "up_failed", "failed"])
    return (
        frame.groupby(["upstream", "downstream", "up_failed"])
        .agg(n=("failed", "size"), failures=("failed", "sum"))
        .reset_index()
    )


@pytest.mark.parametrize("f", [Filters(), Filters(since="2025-01", until="2025-06", channel="phone")])
def test_pair_counts_follow_the_definition(engine: Engine, f: Filters) -> None:
    settings = demo_settings()
    with kept(engine, f, settings.journeys.outcome_survey) as tables:
        incidents = tables.keep(incident_events(tables, settings))
        got = pair_counts(tables, incidents)
        contacts = tables.table("interactions").execute()
        found = incidents.filter(incidents.source == "interactions").record_id.execute()
    want = _by_hand(pd.DataFrame(contacts), set(found))
    assert len(want) > 10
    key = ["upstream", "downstream", "up_failed"]
    got = got.sort_values(key).reset_index(drop=True)
    want = want.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[key + ["n", "failures"]], want, check_dtype=False)


def test_the_kept_tables_are_dropped_after_the_analysis(engine: Engine) -> None:
    settings = demo_settings()
    f = Filters(segment="consumer")
    store_tables = set(engine.con.list_tables())
    with kept(engine, f, settings.journeys.outcome_survey) as tables:
        tables.table("interactions").count().execute()
        tables.keep(incident_events(tables, settings))
        held = set(engine.con.list_tables()) - store_tables
        assert len(held) == 2
    assert set(engine.con.list_tables()) == store_tables
    with engine.store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM customers")).scalar_one() == 600
