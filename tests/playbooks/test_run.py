"""Playbooks on both backends: one case per qualifying customer with the configured owner, a holdout left
alone, nothing twice on a rerun, nothing at all on a dry run; the effect through the experiments module."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from cxgap.cases import events
from cxgap.config import Settings, settings_from_dict
from cxgap.engine import Engine
from cxgap.errors import CxgapError
from cxgap.playbooks import playbook_assignments, playbook_effect, qualifying, run_playbooks
from cxgap.store import Store
from tests.cases.typed import TEAM, TYPED, add_named_customer, assert_no_personal_data, redacted

AT = dt.datetime(2026, 3, 2, 9, 0)
RNG = np.random.default_rng(4)
SCORED = pd.DataFrame(
    {
        "customer_id": [f"C{i:03d}" for i in range(400)],
        "segment": np.where(np.arange(400) % 4 == 0, "enterprise", "consumer"),
        "risk": RNG.uniform(0, 1, 400),
        "health": RNG.uniform(0, 100, 400),
        "revenue": RNG.uniform(100, 5000, 400),
        "reasons": "2 incidents in 30 days",
    }
)
PLAYBOOKS = {
    "save": {
        "action": "Call them",
        "health_below": 40,
        "value_at_least": 1000,
        "team": "key_accounts",
        "owner": "dana",
        "holdout": 0.2,
        "due_hours": 48,
    },
    "thanks": {
        "kind": "success",
        "action": "Say thank you",
        "health_at_least": 90,
        "segments": ["enterprise"],
        "team": "cx",
        "holdout": 0.0,
    },
}


def _settings() -> Settings:
    return settings_from_dict({"playbooks": PLAYBOOKS})


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_one_case_per_qualifying_customer_owned_as_configured(store: Store) -> None:
    settings = _settings()
    run = run_playbooks(store, SCORED, settings, at=AT)
    save = next(o for o in run.outcomes if o.playbook == "save")
    wanted = SCORED[(SCORED.health < 40) & (SCORED.revenue >= 1000)]
    assert save.qualifying == len(wanted) > 50 and save.treated + save.held_out == len(wanted)
    assert save.opened == save.treated and 0.08 < save.held_out / len(wanted) < 0.35
    with store.engine.connect() as conn:
        cases = pd.DataFrame(
            conn.execute(sa.text("SELECT * FROM cases WHERE rule = 'save'")).mappings().all()
        )
    assert len(cases) == save.treated and cases.customer_id.is_unique
    assert set(cases.customer_id) < set(wanted.customer_id)
    assert (
        (cases.team == "key_accounts").all()
        and (cases.owner == "dana").all()
        and (cases.status == "open").all()
    )
    assert (pd.to_datetime(cases.due_at) == AT + dt.timedelta(hours=48)).all()
    assert cases.summary.str.startswith("Recovery: Call them (health ").all()
    assert [e.action for e in events(store, cases.case_id[0])] == ["created"]
    arms = playbook_assignments(store, "save")
    assert len(arms) == len(wanted) and set(arms.group) == {"treatment", "control"}
    thanks = next(o for o in run.outcomes if o.playbook == "thanks")
    expected = SCORED[(SCORED.health >= 90) & (SCORED.segment == "enterprise")]
    assert thanks.opened == len(expected) and thanks.held_out == 0


def test_a_second_run_opens_none_and_a_dry_run_writes_nothing(store: Store) -> None:
    settings = _settings()
    dry = run_playbooks(store, SCORED, settings, at=AT, dry_run=True)
    assert _count(store, "cases") == 0 and _count(store, "playbook_assignments") == 0
    assert all(o.opened == 0 for o in dry.outcomes) and sum(o.treated for o in dry.outcomes) > 50
    first = run_playbooks(store, SCORED, settings, at=AT)
    cases, assigned = _count(store, "cases"), _count(store, "playbook_assignments")
    assert cases == sum(o.opened for o in first.outcomes) == sum(o.treated for o in dry.outcomes)
    again = run_playbooks(store, SCORED, settings, at=AT + dt.timedelta(days=3))
    assert all(o.opened == 0 and o.treated == 0 and o.already_covered == o.qualifying for o in again.outcomes)
    assert (_count(store, "cases"), _count(store, "playbook_assignments")) == (cases, assigned)
    later = run_playbooks(store, SCORED, settings, at=AT + dt.timedelta(days=120))  # past the 90-day cooldown
    assert sum(o.opened for o in later.outcomes) > 0


def test_the_holdout_is_the_same_on_every_plan() -> None:
    a = qualifying(SCORED, _settings().playbooks["save"])
    assert len(a) == len(SCORED[(SCORED.health < 40) & (SCORED.revenue >= 1000)])


def test_the_effect_compares_treated_customers_with_the_holdout(store: Store) -> None:
    settings = settings_from_dict(
        {"playbooks": {"all": {"action": "Call", "risk_above": 0, "team": "t", "holdout": 0.5}}}
    )
    with pytest.raises(CxgapError, match="Playbook 'all' has assigned nobody yet"):
        playbook_effect(store, Engine(store), "all")
    run_playbooks(store, SCORED, settings, at=AT)
    arms = playbook_assignments(store, "all")
    # planted: 40% of the holdout churn, 10% of the treated
    rows = []
    for group, share in (("control", 4), ("treatment", 1)):
        ids = arms.customer_id[arms.group == group]
        rows += [{"id": c, "churned": i % 10 < share} for i, c in enumerate(ids)]
    with store.begin() as conn:
        conn.execute(sa.text("INSERT INTO customers (customer_id, churned) VALUES (:id, :churned)"), rows)
    result = playbook_effect(store, Engine(store), "all", "churn", min_n=30)
    assert result.control.n + result.treatment.n == 400 and result.control.n > 100
    assert result.control.value == pytest.approx(0.4, abs=0.03) and result.treatment.value == pytest.approx(
        0.1, abs=0.03
    )
    assert result.difference.high < 0 and result.difference.low < -0.3 < result.difference.high


def test_an_owner_team_and_action_typed_into_a_playbook_are_stored_redacted(store: Store) -> None:
    add_named_customer(store)
    typed = {"action": TYPED, "risk_above": 0.9, "team": TEAM, "owner": TYPED, "holdout": 0.0}
    run = run_playbooks(store, SCORED, settings_from_dict({"playbooks": {"typed": typed}}), at=AT)
    assert run.outcomes[0].opened > 10
    with store.engine.connect() as conn:
        cases = conn.execute(sa.text("SELECT team, owner, summary FROM cases WHERE rule = 'typed'")).all()
    assert len(cases) == run.outcomes[0].opened
    assert all(team == "[EMAIL]" and redacted(owner) and redacted(summary) for team, owner, summary in cases)
    assert_no_personal_data(store)
