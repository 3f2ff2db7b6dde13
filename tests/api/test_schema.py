"""Schemathesis against the published OpenAPI schema: generated requests to every operation, with an
analyst's token, on a store with the demo company and its cases; no request may cause a server error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from cxgap.access import add_user, issue_token
from cxgap.api import create_app
from cxgap.api.limits import RateLimiter
from cxgap.cases import open_cases
from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import ALL
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND

# schemathesis gives up on a request after 10 s by default, which a filtered text analysis on a busy
# machine can need; only a request that hangs should fail for time, a 5xx fails at once
REQUEST_TIMEOUT = 600
# Examples per operation. Reads reach the same statuses with 10 as with 25 (every GET operation, measured
# on this store); writes keep 25, as a second POST with the same name (409) or the anonymous limit (429)
# are only reached after more requests. Reads were half of the test's time.
READ_EXAMPLES, WRITE_EXAMPLES = 10, 25


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """The app's published schema (loaded from /openapi.json) and an analyst's token."""
    url = f"duckdb:///{Path(tmp_path_factory.mktemp('schema')) / 'demo.duckdb'}"
    config = demo_settings(store=StoreSettings(url=url), server=ON_DEMAND)
    with Store(url) as store:
        write_demo(store, simulate(500, seed=5))
        open_cases(store, config, since=dt.datetime(2000, 1, 1))
        add_user(store, "fuzz", "analyst")
        token = issue_token(store, "fuzz")
    app = create_app(config)
    board = app.state.dashboard
    board.rate_limiter = RateLimiter(1_000_000)
    # Compute the slow results once through the app's own dashboard, so its cache holds them and the
    # embedding model is loaded before any generated request: a cold /api/text then costs no request.
    board.gaps(ALL)
    board.scores(ALL)
    board.drivers(ALL)
    board.text(ALL)
    board.journeys()
    board.risk()
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", app, headers={"Authorization": f"Bearer {token}"}
    )
    yield schema, token
    app.state.store.close()


@pytest.mark.slow
def test_no_generated_request_causes_a_server_error(api_schema: tuple[Any, str]) -> None:
    schema, token = api_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    tried: list[str] = []
    for operation in operations:
        examples = READ_EXAMPLES if operation.method.upper() == "GET" else WRITE_EXAMPLES

        @given(operation.as_strategy())
        @settings(
            max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
        )
        def run(case: Any) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"},
                checks=[schemathesis.checks.not_a_server_error],
                timeout=REQUEST_TIMEOUT,
            )

        run()
        tried.append(operation.label)
    assert "POST /api/ingest/responses" in tried and "POST /api/cases/{case_id}/actions" in tried
    assert "POST /api/issues" in tried and "GET /api/issues/{issue_id}/effect" in tried
