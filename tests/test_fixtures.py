"""The shared fixtures' own promises: emptying the PostgreSQL test database between tests leaves every
table empty and the schema at its revision, and the suite runs its slow files first."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cxgap.access import add_user
from cxgap.demo import simulate, write_demo
from cxgap.store import Store
from cxgap.store.models import Base
from tests.conftest import _head, _reset_pg, pytest_collection_modifyitems


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in Base.metadata.tables
        }
        counts["alembic_version"] = conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one()
    engine.dispose()
    return counts


@pytest.mark.postgres
def test_the_reset_empties_every_table_a_test_filled_and_keeps_the_revision(pg_url: str) -> None:
    with Store(pg_url) as store:
        write_demo(store, simulate(60, seed=1))  # rows in the data tables, the batches and derived ones
        add_user(store, "ana", "analyst")
    filled = {t for t, n in _counts(pg_url).items() if n}
    assert {"customers", "responses", "import_batches", "users", "alembic_version"} <= filled
    _reset_pg(pg_url)
    assert {t: n for t, n in _counts(pg_url).items() if n} == {"alembic_version": 1}
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == _head()
    engine.dispose()
    _reset_pg(pg_url)  # nothing to empty: still nothing there
    assert {t: n for t, n in _counts(pg_url).items() if n} == {"alembic_version": 1}


class _Item:
    """Just what the ordering hook reads of a collected test: its node id and its marks."""

    def __init__(self, nodeid: str, *marks: str) -> None:
        self.nodeid, self.marks = nodeid, marks

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.marks else None


def test_files_with_a_slow_test_run_first_then_the_largest_files() -> None:
    items = [
        _Item("tests/a.py::one"),
        _Item("tests/b.py::one"),
        _Item("tests/b.py::two"),
        _Item("tests/c.py::fast"),
        _Item("tests/c.py::slow", "slow"),
        _Item("tests/d.py::one", "spark"),
        _Item("tests/e.py::one"),
    ]
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [i.nodeid for i in items] == [
        "tests/c.py::fast",
        "tests/c.py::slow",
        "tests/d.py::one",
        "tests/b.py::one",
        "tests/b.py::two",
        "tests/a.py::one",
        "tests/e.py::one",
    ]
