"""Warehouse mode: the analyses' Ibis expressions run on Spark over the company's own tables (being built)."""

from __future__ import annotations

from cxgap.config import EngineSettings
from cxgap.engine import Engine
from cxgap.errors import StoreError
from cxgap.store import Store


class SparkEngine(Engine):
    """An Engine whose data tables are the warehouse's (`[engine.tables]`), reached through Ibis's pyspark
    backend; the store keeps only the closed loop."""

    def __init__(self, store: Store, settings: EngineSettings) -> None:
        raise StoreError("Warehouse mode on Spark is not built yet.")
