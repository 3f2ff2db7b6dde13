"""Warehouse mode's set-up, without starting Spark: what a pyspark:// URL names, how [engine.tables]
entries are read, and the one sentence for each thing a user must fix (no Java, no pyspark, a table that
is not cxgap's, a summaries folder with nowhere to go)."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest

from cxgap.config import EngineSettings, WarehouseTable
from cxgap.engine import spark
from cxgap.engine.spark import _checked_sources, _local_cores, _require_spark, master_of, summaries_folder
from cxgap.engine.warehouse import source_of, spark_type
from cxgap.errors import ConfigError, StoreError
from cxgap.store.models import table_of


def test_the_url_names_the_master_and_local_masters_their_cores() -> None:
    assert master_of("pyspark://local[2]") == "local[2]"
    assert master_of("pyspark://spark://host:7077") == "spark://host:7077"
    assert (_local_cores("local[2]"), _local_cores("local"), _local_cores("spark://host:7077")) == (
        2,
        1,
        None,
    )
    with pytest.raises(ConfigError, match="names no Spark master"):
        master_of("pyspark://")


def test_table_entries_are_paths_catalog_tables_or_spelled_out(tmp_path: Path) -> None:
    (tmp_path / "delta" / "_delta_log").mkdir(parents=True)
    assert source_of("responses", "/lake/cx/responses").path == "/lake/cx/responses"
    assert source_of("responses", "s3a://lake/responses").format == "parquet"
    assert source_of("responses", str(tmp_path / "delta")).format == "delta"
    assert source_of("responses", "cx.responses").table == "cx.responses"
    spelled = WarehouseTable(path="/lake/r", format="delta", columns={"response_id": "id"})
    assert source_of("responses", spelled).columns == {"response_id": "id"}


def test_a_table_that_is_not_cxgaps_or_a_summary_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"\[engine.tables\] respones is not a cxgap table"):
        _checked_sources(EngineSettings(url="pyspark://local[2]", tables={"respones": "/lake/r"}))
    with pytest.raises(ConfigError, match="builds its summaries in the warehouse itself"):
        _checked_sources(EngineSettings(url="pyspark://local[2]", tables={"rollup_items": "/lake/r"}))


def test_summaries_sit_beside_a_duckdb_store_else_need_a_folder(tmp_path: Path) -> None:
    class FakeStore:
        url = f"duckdb:///{tmp_path / 'cx.duckdb'}"

    settings = EngineSettings(url="pyspark://local[2]")
    assert summaries_folder(FakeStore(), settings) == str(tmp_path / "cx.warehouse")  # type: ignore[arg-type]
    FakeStore.url = "postgresql+psycopg://cx@db/cx"
    with pytest.raises(ConfigError, match=r"Set \[engine\] summaries"):
        summaries_folder(FakeStore(), settings)  # type: ignore[arg-type]
    chosen = EngineSettings(url="pyspark://local[2]", summaries="hdfs:///lake/cxgap")
    assert summaries_folder(FakeStore(), chosen) == "hdfs:///lake/cxgap"  # type: ignore[arg-type]


def test_without_java_or_pyspark_one_sentence_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark.shutil, "which", lambda name: None)
    with pytest.raises(StoreError, match="needs Java 17"):
        _require_spark()
    real_import = builtins.__import__

    def no_pyspark(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pyspark":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    with pytest.raises(StoreError, match=r"pip install 'cxgap\[spark\]'"):
        _require_spark()


def test_columns_keep_the_stores_types() -> None:
    pytest.importorskip("pyspark")
    types = {c.name: spark_type(c).simpleString() for c in table_of("responses").columns}
    assert types["responded_at"] == "timestamp_ntz" and types["nps"] == "int" and types["csat"] == "double"
    assert spark_type(table_of("response_items").c.month).simpleString() == "date"
