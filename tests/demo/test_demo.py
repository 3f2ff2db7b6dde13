"""The demo company: deterministic by seed, and every planted truth is present in the generated data."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import numpy as np
import pytest
from scipy.stats import spearmanr

from cxgap.demo import TRUTH, DemoData, simulate

N = 20_000


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return simulate(N, seed=7)


@pytest.fixture(scope="module")
def sql(demo: DemoData) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    for name, table in demo.tables.items():
        con.register(name, table)
    yield con
    con.close()


def one(con: duckdb.DuckDBPyConnection, query: str) -> float:
    return float(con.sql(query).fetchone()[0])


def test_same_seed_same_company_other_seed_other_company() -> None:
    a, b, c = simulate(3_000, seed=5), simulate(3_000, seed=5), simulate(3_000, seed=6)
    assert all(a.tables[name].equals(b.tables[name]) for name in a.tables)
    assert not a.tables["responses"].equals(c.tables["responses"])


def test_sizes_scale_with_customers(demo: DemoData) -> None:
    rows = demo.rows
    assert rows["customers"] == N
    assert 8 * N < rows["responses"] + rows["interactions"] < 10 * N
    assert rows["response_items"] > 5 * N and rows["beliefs"] > 1_000


def test_leaders_believe_they_are_superior_customers_do_not(sql: duckdb.DuckDBPyConnection) -> None:
    leaders = one(
        sql, "SELECT avg(superior::int) FROM beliefs WHERE role = 'leader' AND superior IS NOT NULL"
    )
    customers = one(sql, "SELECT avg(superior::int) FROM responses WHERE survey_kind = 'relational'")
    assert leaders == pytest.approx(TRUTH.leader_superior_share, abs=0.15)
    assert customers == pytest.approx(TRUTH.customer_superior_share, abs=0.01)


def test_leaders_overrate_customers_ratings_by_the_planted_optimism(sql: duckdb.DuckDBPyConnection) -> None:
    gap = one(
        sql,
        f"""
        WITH actual AS (
            SELECT dimension, avg(perception) AS p FROM response_items i
            JOIN responses r USING (response_id)
            JOIN (SELECT unnest(map_keys(m)) AS item, unnest(map_values(m)) AS dimension
                  FROM (SELECT MAP {TRUTH.items!r} AS m)) d USING (item)
            WHERE r.survey_kind = 'relational' GROUP BY dimension)
        SELECT avg(b.believed_rating - a.p) FROM beliefs b JOIN actual a USING (dimension)
        WHERE b.role = 'leader' AND b.touchpoint IS NULL""",
    )
    assert gap == pytest.approx(TRUTH.leader_rating_optimism, abs=0.1)


def test_support_misses_its_own_standards(sql: duckdb.DuckDBPyConnection) -> None:
    wait = one(
        sql, "SELECT median(wait_seconds) FROM interactions WHERE touchpoint = 'support' AND kind = 'call'"
    )
    fcr = one(
        sql,
        "SELECT avg(resolved::int) FROM interactions WHERE touchpoint = 'support' AND kind IN ('call', 'chat', 'email')",
    )
    standard = one(sql, "SELECT target FROM standards WHERE metric = 'wait_seconds@call'")
    assert standard == TRUTH.support_wait_standard_seconds < wait == pytest.approx(150, rel=0.1)
    assert fcr == pytest.approx(TRUTH.first_contact_resolution_rate, abs=0.02)


def test_callback_standard_is_met_but_far_from_what_customers_expect(sql: duckdb.DuckDBPyConnection) -> None:
    hours = one(sql, "SELECT median(wait_seconds) / 3600 FROM interactions WHERE kind = 'callback'")
    expected = one(sql, "SELECT customer_expectation FROM standards WHERE metric = 'callback_hours'")
    assert expected == TRUTH.callback_expected_hours < hours < TRUTH.callback_standard_hours


def test_installation_promise_is_broken(sql: duckdb.DuckDBPyConnection) -> None:
    on_time = one(sql, "SELECT avg(on_time::int) FROM interactions WHERE touchpoint = 'installation'")
    promised = one(sql, "SELECT promised_value FROM promises WHERE touchpoint = 'installation'")
    assert on_time == pytest.approx(TRUTH.installation_on_time_rate, abs=0.015)
    assert promised - on_time > 0.1


def test_tight_booking_upstream_makes_installation_late(sql: duckdb.DuckDBPyConnection) -> None:
    rates = dict(
        sql.sql("""
        SELECT NOT b.on_time AS tight, avg((NOT v.on_time)::int) FROM interactions b
        JOIN interactions v ON v.customer_id = b.customer_id AND v.touchpoint = 'installation'
        WHERE b.kind = 'booking' GROUP BY ALL""").fetchall()
    )
    assert rates[True] == pytest.approx(TRUTH.late_visit_rate_after_tight_booking, abs=0.03)
    assert rates[False] == pytest.approx(TRUTH.late_visit_rate_otherwise, abs=0.015)


def test_repeat_contacts_cost_csat(sql: duckdb.DuckDBPyConnection) -> None:
    by_repeat = dict(
        sql.sql("""
        SELECT i.repeat_contact, avg(r.csat) FROM responses r
        JOIN interactions i ON i.customer_id = r.customer_id AND i.touchpoint = 'support' AND i.kind <> 'callback'
             AND r.responded_at BETWEEN i.occurred_at AND i.occurred_at + INTERVAL 2 DAY
        WHERE r.touchpoint = 'support' AND i.resolved AND i.handled GROUP BY ALL""").fetchall()
    )
    assert by_repeat[True] - by_repeat[False] == pytest.approx(-TRUTH.repeat_contact_csat_penalty, abs=0.35)


def test_customer_gap_has_the_planted_sign_per_dimension(sql: duckdb.DuckDBPyConnection) -> None:
    gaps = dict(
        sql.sql(f"""
        SELECT d.dimension, avg(perception - expectation) FROM response_items i
        JOIN responses r USING (response_id)
        JOIN (SELECT unnest(map_keys(m)) AS item, unnest(map_values(m)) AS dimension FROM (SELECT MAP {TRUTH.items!r} AS m)) d USING (item)
        WHERE r.survey_kind = 'relational' GROUP BY ALL""").fetchall()
    )
    for dimension, planted in TRUTH.perception_minus_expectation.items():
        assert gaps[dimension] == pytest.approx(planted, abs=0.2), dimension


def test_several_incidents_hurt_more_than_the_sum_of_one(sql: duckdb.DuckDBPyConnection) -> None:
    by_k = dict(
        sql.sql("""
        WITH inc AS (
            SELECT r.response_id, r.nps,
                (count(*) FILTER (WHERE i.touchpoint = 'installation' AND NOT i.on_time) > 0)::int
              + (count(*) FILTER (WHERE i.touchpoint = 'support' AND NOT i.handled) > 0)::int
              + least(count(*) FILTER (WHERE i.touchpoint = 'support' AND i.kind <> 'callback' AND NOT i.resolved), 2)
              + (count(*) FILTER (WHERE i.repeat_contact) > 0)::int
              + (count(*) FILTER (WHERE i.reason = 'bill_error') > 0)::int AS k
            FROM responses r LEFT JOIN interactions i ON i.customer_id = r.customer_id AND i.occurred_at < r.responded_at
            WHERE r.survey_kind = 'relational' GROUP BY ALL)
        SELECT least(k, 3), avg(nps) FROM inc GROUP BY ALL""").fetchall()
    )
    one_damage, two_damage = by_k[0] - by_k[1], by_k[0] - by_k[2]
    assert one_damage > 0.3
    assert two_damage - 2 * one_damage == pytest.approx(TRUTH.synergy_nps_penalty, abs=0.5)


def test_planted_driver_weights_shape_nps(sql: duckdb.DuckDBPyConnection) -> None:
    items = list(TRUTH.item_weights)
    frame = (
        sql.sql(f"""
        PIVOT (SELECT r.response_id, r.nps, i.item, i.perception FROM responses r JOIN response_items i USING (response_id)
               WHERE r.survey_kind = 'relational') ON item IN {tuple(items)!r} USING first(perception)""")
        .df()
        .dropna()
    )
    x = np.column_stack([np.ones(len(frame))] + [frame[i].to_numpy() for i in items])
    coef, *_ = np.linalg.lstsq(x, frame["nps"].to_numpy(), rcond=None)
    assert spearmanr(coef[1:], [TRUTH.item_weights[i] for i in items]).statistic >= 0.9


def test_churn_follows_unresolved_issues(sql: duckdb.DuckDBPyConnection) -> None:
    rates = dict(
        sql.sql("""
        SELECT least(u, 2), avg(c.churned::int) FROM customers c JOIN (
            SELECT customer_id, count(*) FILTER (WHERE touchpoint = 'support' AND kind <> 'callback' AND NOT resolved) AS u
            FROM interactions GROUP BY ALL) USING (customer_id) GROUP BY ALL""").fetchall()
    )
    assert rates[1] > 1.4 * rates[0] and rates[2] > 1.4 * rates[1]


def test_promoters_grow_revenue_detractors_shrink(sql: duckdb.DuckDBPyConnection) -> None:
    change = dict(
        sql.sql("""
        WITH full_years AS (
            SELECT customer_id, sum(o.revenue) FILTER (WHERE period = DATE '2025-01-01')
                              / sum(o.revenue) FILTER (WHERE period = DATE '2024-01-01') - 1 AS change
            FROM outcomes o JOIN customers c USING (customer_id)
            WHERE c.started_at < DATE '2024-01-01' AND NOT c.churned GROUP BY ALL)
        SELECT CASE WHEN r.nps >= 9 THEN 'promoter' WHEN r.nps >= 7 THEN 'passive' ELSE 'detractor' END, avg(change)
        FROM full_years JOIN responses r USING (customer_id) WHERE r.survey_kind = 'relational' GROUP BY ALL""").fetchall()
    )
    assert change["promoter"] == pytest.approx(TRUTH.revenue_change_promoter, abs=0.01)
    assert change["detractor"] == pytest.approx(TRUTH.revenue_change_detractor, abs=0.01)


def test_app_login_complaints_surge_in_the_planted_weeks(sql: duckdb.DuckDBPyConnection) -> None:
    start = TRUTH.emerging_start
    weekly = dict(
        sql.sql(f"""
        SELECT received_at >= DATE '{start}' AND received_at < DATE '{start}' + INTERVAL {TRUTH.emerging_weeks * 7} DAY,
               count(*) / count(DISTINCT date_trunc('week', received_at))
        FROM feedback WHERE text LIKE '%log in%' OR text LIKE '%login%' OR text LIKE '%sign in%'
        AND received_at >= DATE '2025-01-01' GROUP BY ALL""").fetchall()
    )
    assert weekly[True] > 3 * weekly[False]
