"""The derived importance behind `analyze` is computed once per store version and settings, kept in the store:
a second run on the same data reads it back (same report), an import or another setting computes it again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cxgap.drivers as drivers_package
from cxgap.config import demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.drivers import derived_importance
from cxgap.engine import Engine
from cxgap.gaps import analyze
from cxgap.io import import_file, mapping_from_dict
from cxgap.store import Store

CUSTOMERS = {"table": "customers", "columns": {"customer_id": "id", "segment": "segment"}}


@pytest.fixture
def demo(store_url: str) -> Iterator[Engine]:
    store = Store(store_url)
    write_demo(store, simulate(1_500, seed=3))
    engine = Engine(store)
    yield engine
    engine.close()
    store.close()


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every driver analysis actually computed (the real one, counted)."""
    calls: list[Any] = []
    real = drivers_package.drivers

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("filters"))
        return real(*args, **kwargs)

    monkeypatch.setattr(drivers_package, "drivers", counted)
    return calls


def test_a_second_analyze_on_the_same_data_reads_the_kept_importance(
    demo: Engine, computed: list[Any]
) -> None:
    settings = demo_settings()
    first = analyze(demo, settings, replicates=20)
    second = analyze(demo, settings, replicates=20)
    assert len(computed) == 1
    assert first.to_frame().equals(second.to_frame())
    assert any(g.kind == "knowledge" and g.unit == "share" for g in first.gaps)  # importance was measured


def test_an_import_or_other_settings_compute_it_again(
    demo: Engine, computed: list[Any], write: Callable[[str, str], Path]
) -> None:
    settings = demo_settings()
    before = derived_importance(demo, settings, replicates=20)
    assert derived_importance(demo, settings, replicates=20) == before
    assert len(computed) == 1
    derived_importance(demo, settings, replicates=30)  # another number of draws
    stricter = settings.model_copy(
        update={"analysis": settings.analysis.model_copy(update={"confidence": 0.9})}
    )
    derived_importance(demo, stricter, replicates=20)  # another setting
    assert len(computed) == 3
    import_file(demo.store, write("crm.csv", "id,segment\nnew-1,smb\n"), mapping_from_dict(CUSTOMERS))
    again = derived_importance(demo, settings, replicates=20)  # the store took an import
    assert len(computed) == 4
    assert again == before  # a customer without answers changes no weight: computed again, same result
