"""Warehouse mode: the demo exported to Parquet and analysed by Spark (local[2]) through Ibis gives the same
JSON as DuckDB, to 1e-9, for analyze, metrics, drivers and journeys; the warehouse's summaries equal the
store's; an unmapped table and a renamed column; the incremental refresh of the summaries."""

from __future__ import annotations

import json
import math
import os
import shutil
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import tomli_w
from typer.testing import CliRunner

from cxgap.config import demo_config_text
from cxgap.store import Store

pytestmark = [
    pytest.mark.spark,
    # pyspark 4.0's own pandas conversion still passes copy=False, which pandas 3 deprecates
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
]

REQUIRE_SPARK = os.environ.get("CXGAP_REQUIRE_SPARK") == "1"
CUSTOMERS = 300  # a few hundred customers: every analysis has data, and drivers stay under their sample
LAKE_TABLES = ("customers", "responses", "response_items", "feedback", "interactions", "outcomes")


def _spark_missing() -> str | None:
    """Why Spark cannot run here (no pyspark, no Java), or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'cxgap[spark]')"
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        return "Java is not installed (apt-get install openjdk-17-jre-headless)"
    return None


@dataclass
class Lake:
    """The demo store, its Parquet export and a cxgap.toml for each engine."""

    folder: Path
    store_url: str
    export: Path
    duck: Path
    spark: Path
    config: dict[str, Any]

    def write_config(self, name: str, engine: dict[str, Any] | None) -> Path:
        """A cxgap.toml: the demo's configuration, the store, and `engine` as its [engine] table."""
        data = {**self.config, "store": {"url": self.store_url}}
        if engine is not None:
            data["engine"] = engine
        path = self.folder / name
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
        return path

    def spark_engine(self, **changes: Any) -> dict[str, Any]:
        """The [engine] table of Spark over the export, with `changes`."""
        tables = {t: str(self.export / t) for t in LAKE_TABLES}
        fast = {"spark.sql.shuffle.partitions": "1"}  # a few hundred rows: one partition is quickest
        return {"url": "pyspark://local[2]", "tables": tables, "spark": fast} | changes


def _export(store: Store, folder: Path) -> None:
    """The store's data tables as `cxgap export parquet` writes them (month-partitioned Parquet)."""
    from cxgap.store.export import export_parquet

    export_parquet(store, folder, LAKE_TABLES)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    """The demo company (300 customers) in a DuckDB store and exported to Parquet; skipped without Spark
    (a failure under CXGAP_REQUIRE_SPARK=1)."""
    reason = _spark_missing()
    if reason:
        if REQUIRE_SPARK:
            pytest.fail(f"{reason}; CXGAP_REQUIRE_SPARK=1 makes this a failure")
        pytest.skip(reason)
    from cxgap.demo import simulate, write_demo

    folder = tmp_path_factory.mktemp("lake")
    url = f"duckdb:///{folder / 'cxgap.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(CUSTOMERS, seed=42))
        _export(store, folder / "export")
    config = tomllib.loads(demo_config_text())
    lake = Lake(folder, url, folder / "export", folder / "duck.toml", folder / "spark.toml", config)
    lake.write_config("duck.toml", None)
    lake.write_config("spark.toml", lake.spark_engine())
    with pytest.MonkeyPatch.context() as patch:
        for name in ("CXGAP_STORE_URL", "CXGAP_CONFIG", "COLUMNS"):
            patch.delenv(name, raising=False)
        patch.chdir(folder)
        yield lake


def _cxgap(*args: str) -> Any:
    """Run `cxgap ...` in-process (one SparkSession serves the whole module)."""
    from cxgap.cli.main import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _json(config: Path, *args: str) -> Any:
    result = _cxgap(*args, "--format", "json", "--config", str(config))
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def same(a: Any, b: Any, where: str = "$") -> None:
    """Assert two JSON values are equal: the same keys and strings, numbers to 1e-9."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert sorted(a) == sorted(b), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for key in a:
            same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{where}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, bool | str) or a is None or isinstance(b, bool | str) or b is None:
        assert a == b, f"{where}: {a!r} != {b!r}"
    else:
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{where}: {a!r} != {b!r}"


def _both(lake: Lake, *args: str) -> tuple[Any, Any]:
    return _json(lake.duck, *args), _json(lake.spark, *args)


def test_analyze_on_spark_equals_duckdb(lake: Lake) -> None:
    duck, spark = _both(lake, "analyze", "--all")
    assert duck["gaps"], "the demo has gaps to compare"
    same(duck, spark)


def test_metrics_on_spark_equal_duckdb(lake: Lake) -> None:
    for metric in ("nps", "csat", "ces"):
        duck, spark = _both(lake, "metrics", "--metric", metric, "--by", "touchpoint")
        same(duck, spark)


def test_drivers_on_spark_equal_duckdb(lake: Lake) -> None:
    duck, spark = _both(lake, "drivers", "--replicates", "50")
    same(duck, spark)


def test_journeys_on_spark_equal_duckdb(lake: Lake) -> None:
    duck, spark = _both(lake, "journeys")
    same(duck, spark)


def test_an_unmapped_data_table_is_one_sentence(lake: Lake) -> None:
    tables = {t: str(lake.export / t) for t in LAKE_TABLES if t != "customers"}
    config = lake.write_config("unmapped.toml", lake.spark_engine(tables=tables))
    result = _cxgap("analyze", "--config", str(config))
    assert result.exit_code == 2
    assert "[engine.tables]" in result.stderr and "customers" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count(".\n") == 1


def _copy(source: Path, target: Path, select: str) -> None:
    """Write `select` (over the Parquet files of `source`, as `t`) into the Parquet file `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    files = f"read_parquet('{source}/**/*.parquet', hive_partitioning = false)"
    duckdb.sql(f"COPY ({select.format(t=files)}) TO '{target}' (FORMAT parquet)")


def test_renamed_columns_are_read_under_cxgap_names(lake: Lake) -> None:
    renamed = lake.folder / "renamed" / "responses" / "part-0.parquet"
    _copy(
        lake.export / "responses",
        renamed,
        "SELECT * RENAME (response_id AS id, customer_id AS respondent) FROM {t}",
    )
    responses = {"path": str(renamed.parent), "columns": {"response_id": "id", "customer_id": "respondent"}}
    engine = lake.spark_engine()
    config = lake.write_config(
        "renamed.toml", engine | {"tables": engine["tables"] | {"responses": responses}}
    )
    args = ("metrics", "--metric", "nps", "--by", "touchpoint,segment")
    same(_json(lake.duck, *args), _json(config, *args))


def _rows(frame: Any, keys: list[str]) -> list[tuple[Any, ...]]:
    """A summary's rows as tuples ordered by its keys (nulls first), without the row number `cell`."""
    frame = frame.drop(columns=["cell"], errors="ignore")
    frame = frame[keys + [c for c in frame.columns if c not in keys]]
    rows = [tuple(None if v != v else v for v in row) for row in frame.itertuples(index=False)]  # NaN: null
    return sorted(rows, key=lambda row: [(v is not None, str(v)) for v in row[: len(keys)]])


def _same_rows(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        same(
            [v if isinstance(v, int | float | None) else str(v) for v in x],
            [v if isinstance(v, int | float | None) else str(v) for v in y],
        )


SUMMARY_KEYS = {
    "rollup_items": ["survey_kind", "touchpoint", "segment", "channel", "month", "item"],
    "rollup_interactions": ["touchpoint", "kind", "segment", "channel", "month"],
    "customer_touchpoints": ["customer_id", "touchpoint"],
}


def _engine(lake: Lake, tables: dict[str, str], summaries: Path) -> Any:
    from cxgap.config import EngineSettings
    from cxgap.engine.spark import SparkEngine

    settings = EngineSettings.model_validate(lake.spark_engine(tables=tables, summaries=str(summaries)))
    return SparkEngine(Store(lake.store_url), settings)


def test_summaries_built_from_items_without_context_equal_the_stores(lake: Lake) -> None:
    """The lake's item ratings lack the context copies: they are derived by the joins the store makes, and
    every summary equals the store's own."""
    from cxgap.engine import Engine

    bare = lake.folder / "bare" / "response_items" / "part-0.parquet"
    _copy(
        lake.export / "response_items",
        bare,
        "SELECT response_id, item, perception, expectation, importance FROM {t}",
    )
    tables = {t: str(lake.export / t) for t in LAKE_TABLES} | {"response_items": str(bare.parent)}
    spark = _engine(lake, tables, lake.folder / "bare" / "summaries")
    duck = Engine(spark.store)
    try:
        for name, keys in SUMMARY_KEYS.items():
            _same_rows(_rows(duck.table(name).to_pandas(), keys), _rows(spark.table(name).to_pandas(), keys))
        assert spark.summaries.last_refresh["rollup_items"] == "rebuilt"
        keys = ["response_id", "item"]
        columns = [*keys, "touchpoint", "survey_kind", "segment", "channel", "month"]
        _same_rows(
            _rows(duck.table("response_items").select(*columns).to_pandas(), keys),
            _rows(spark.table("response_items").select(*columns).to_pandas(), keys),
        )
    finally:
        spark.close()
        spark.store.close()


def _summaries(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    return {name: _rows(engine.table(name).to_pandas(), keys) for name, keys in SUMMARY_KEYS.items()}


def _grown_lake(lake: Lake) -> tuple[Path, dict[str, str]]:
    """A copy of the export whose item ratings lack the context copies (so the item rollup joins responses
    and customers, and new ones of those are checked against the rows already summarised)."""
    grown = lake.folder / "grown"
    shutil.copytree(lake.export, grown)
    shutil.rmtree(grown / "response_items")
    items = "SELECT response_id, item, perception, expectation, importance FROM {t}"
    _copy(lake.export / "response_items", grown / "response_items" / "part-0.parquet", items)
    return grown, {t: str(grown / t) for t in LAKE_TABLES}


def _refreshed(engine: Any) -> set[str]:
    return set(engine.summaries.last_refresh.values())


def test_new_files_are_merged_into_the_summaries_and_changed_ones_rebuild_them(lake: Lake) -> None:
    grown, tables = _grown_lake(lake)
    first = _engine(lake, tables, grown / "summaries")
    before = _summaries(first)
    assert _refreshed(first) == {"rebuilt"}
    # a month of new responses with their ratings, and new interactions of known customers
    month = sorted(p.name for p in (grown / "responses").iterdir() if p.name.startswith("month=2"))[-1]
    new = "SELECT * REPLACE ({key} || '~new' AS {key}) FROM {{t}}"
    added = [grown / table / month / "added.parquet" for table in ("responses", "interactions")]
    for path, key in zip(added, ("response_id", "interaction_id"), strict=True):
        _copy(lake.export / path.parent.parent.name / month, path, new.format(key=key))
    added.append(grown / "response_items" / "added.parquet")
    items = "SELECT response_id || '~new' AS response_id, item, perception, expectation, importance FROM {t}"
    _copy(lake.export / "response_items" / month, added[-1], items)
    merged = _engine(lake, tables, grown / "summaries")
    after = _summaries(merged)
    assert _refreshed(merged) == {"merged"} and after != before
    # results kept in the store (the derived importance) are stamped with the lake: new files, new version
    assert merged.version() != first.version()
    rebuilt = _engine(lake, tables, grown / "rebuilt")
    for name, rows in _summaries(rebuilt).items():
        _same_rows(after[name], rows)
    # a customer again with another segment: both rollups carry segments, so they are rebuilt
    changed = grown / "customers" / "changed.parquet"
    _copy(lake.export / "customers", changed, "SELECT * REPLACE ('changed' AS segment) FROM {t} LIMIT 1")
    again = _engine(lake, tables, grown / "summaries")
    _summaries(again)
    assert again.summaries.last_refresh == {
        "rollup_items": "rebuilt",
        "rollup_interactions": "rebuilt",
        "customer_touchpoints": "kept",
    }
    # files gone: every summary is rebuilt, and equals the first ones again
    for path in (*added, changed):
        path.unlink()
    last = _engine(lake, tables, grown / "summaries")
    for name, rows in _summaries(last).items():
        _same_rows(before[name], rows)
    assert _refreshed(last) == {"rebuilt"}
    assert last.version() == first.version()  # the lake as it was: what was kept for it is valid again
    manifest = json.loads((grown / "summaries" / "manifest.json").read_text())
    retired = [entry["data"] for entry in manifest["retired"]]  # replaced folders wait a week, not deleted
    assert retired and all(Path(folder).exists() for folder in retired)
    for engine in (first, merged, rebuilt, again, last):
        engine.close()
        engine.store.close()


def test_a_summaries_folder_spark_cannot_write_is_one_sentence(lake: Lake) -> None:
    from cxgap.errors import StoreError

    engine = _engine(lake, {t: str(lake.export / t) for t in LAKE_TABLES}, Path("/proc/cxgap-summaries"))
    try:
        with pytest.raises(
            StoreError, match=r"cannot be written to /proc/cxgap-summaries.*\[engine\] summaries"
        ):
            engine.table("rollup_items")
    finally:
        engine.close()
        engine.store.close()


def test_threads_share_the_engine(lake: Lake) -> None:
    """The dashboard answers on many threads: they share one Spark engine and each gets the right answer."""
    from concurrent.futures import ThreadPoolExecutor

    from cxgap.engine import Engine

    engine = _engine(lake, {t: str(lake.export / t) for t in LAKE_TABLES}, lake.folder / "threads")
    expected = Engine(engine.store).table("responses").group_by("touchpoint").aggregate(n=lambda t: t.count())

    def count(_: int) -> dict[Any, int]:
        t = engine.table("responses")
        frame = t.group_by("touchpoint").aggregate(n=t.count()).to_pandas()
        return dict(zip(frame.touchpoint.fillna("-"), frame.n, strict=True))

    try:
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(count, range(8)))
        frame = expected.to_pandas()
        assert answers == [dict(zip(frame.touchpoint.fillna("-"), frame.n, strict=True))] * 8
    finally:
        engine.close()
        engine.store.close()


def test_records_stream_from_spark_as_from_duckdb(lake: Lake) -> None:
    """The dashboard's record export streams the same rows, in the same order, from Spark."""
    from cxgap.config import load_settings
    from cxgap.engine import Engine, Filters
    from cxgap.records.narrowing import Narrowing
    from cxgap.records.query import stream

    settings = load_settings(lake.duck)
    spark = _engine(lake, {t: str(lake.export / t) for t in LAKE_TABLES}, lake.folder / "records")
    try:
        read = []
        for engine in (Engine(spark.store), spark):
            columns, chunks = stream(
                engine, settings, "interactions", Filters(), Narrowing(), "-wait_seconds", chunk=500
            )
            read.append((columns, [row for chunk in chunks for row in chunk]))
        assert read[0][0] == read[1][0] and len(read[0][1]) > 500
        same(json.loads(json.dumps(read[0][1], default=str)), json.loads(json.dumps(read[1][1], default=str)))
    finally:
        spark.close()
        spark.store.close()


def test_closed_loop_tables_come_from_the_store_and_follow_its_imports(lake: Lake) -> None:
    import sqlalchemy as sa

    from cxgap.config import EngineSettings
    from cxgap.engine.spark import SparkEngine

    copy = lake.folder / "loop" / "cxgap.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(lake.folder / "cxgap.duckdb", copy)
    store = Store(f"duckdb:///{copy}")
    engine = SparkEngine(store, EngineSettings.model_validate(lake.spark_engine()))
    try:
        beliefs = int(engine.table("beliefs").count().execute())
        assert beliefs == store.count("beliefs") > 0
        with store.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO beliefs SELECT * REPLACE ('b-new' AS belief_id) FROM beliefs LIMIT 1")
            )
        assert int(engine.table("beliefs").count().execute()) == beliefs  # no import: the copy stands
        with store.begin() as conn:
            batch = "SELECT * REPLACE ('b-new' AS batch_id, finished_at + INTERVAL 1 DAY AS finished_at)"
            conn.execute(sa.text(f"INSERT INTO import_batches {batch} FROM import_batches LIMIT 1"))
        assert int(engine.table("beliefs").count().execute()) == beliefs + 1
    finally:
        engine.close()
        store.close()


def test_a_lake_holding_only_a_crm_table_gives_what_duckdb_gives(lake: Lake) -> None:
    """Empty aggregates come back from Spark as NaN where DuckDB gives None: every command still answers as
    on DuckDB (a store holding only customers, as a first import of a CRM table leaves it)."""
    from cxgap.io import import_file, mapping_from_dict

    folder = lake.folder / "crm"
    folder.mkdir()
    url = f"duckdb:///{folder / 'crm.duckdb'}"
    crm_file = folder / "crm.csv"
    crm_file.write_text("id,segment,revenue\n" + "".join(f"C{i},consumer,{100 + i}\n" for i in range(40)))
    columns = {"customer_id": "id", "segment": "segment", "revenue": "revenue"}
    with Store(url) as store:
        import_file(store, crm_file, mapping_from_dict({"table": "customers", "columns": columns}, "crm"))
        _export(store, folder / "export")
    tables = {t: str(folder / "export" / t) for t in LAKE_TABLES}
    crm = Lake(folder, url, folder / "export", folder / "duck.toml", folder / "spark.toml", lake.config)
    crm.write_config("duck.toml", None)
    crm.write_config("spark.toml", lake.spark_engine(tables=tables, summaries=str(folder / "summaries")))
    for command in (("analyze", "--all"), ("metrics",), ("drivers",), ("journeys",), ("impact",)):
        duck, spark = _both(crm, *command)
        same(duck, spark, " ".join(command))


def _nps_answers(dashboard: Any) -> int:
    from cxgap.engine import ALL

    with dashboard.cache.current():  # a stale view is computed again in place, not served
        table = dashboard.score_table("nps", ("touchpoint",), ALL)
    return int(table.to_frame()["n"].sum())


def _temporary_views(engine: Any) -> int:
    return sum(1 for t in engine.session.catalog.listTables() if t.isTemporary)


def _add_month(following: Path, lake: Lake, index: int) -> int:
    """Copy the `index`-th last month of responses under new ids into the lake; the answers with an NPS."""
    months = sorted(p.name for p in (following / "responses").iterdir() if p.name.startswith("month=2"))
    month = months[-index]
    added = following / "responses" / month / f"added{index}.parquet"
    select = f"SELECT * REPLACE (response_id || '~new{index}' AS response_id) FROM {{t}}"
    _copy(lake.export / "responses" / month, added, select)
    found = duckdb.sql(f"SELECT count(nps) FROM read_parquet('{added}')").fetchone()
    assert found is not None and found[0] > 0
    return int(found[0])


def test_a_running_dashboard_sees_new_lake_files(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard follows the lake: once `lake_check_seconds` have passed it lists the files again, and
    its views and summaries read the new ones (a listing that fails changes nothing; the views it makes do
    not pile up); a one-off engine reads one state of the lake."""
    from cxgap.api.dashboard import Dashboard
    from cxgap.config import load_settings

    following = lake.folder / "following"
    shutil.copytree(lake.export, following)
    tables = {t: str(following / t) for t in LAKE_TABLES}
    summaries = str(following / "summaries")
    config = lake.write_config(
        "following.toml", lake.spark_engine(tables=tables, summaries=summaries, lake_check_seconds=0)
    )
    dashboard = Dashboard(load_settings(config), precompute=False)
    one_off = _engine(lake, tables, following / "summaries")
    before, version = _nps_answers(dashboard), dashboard.engine.version()
    one_off_version = one_off.version()
    added = _add_month(following, lake, 1)
    assert _nps_answers(dashboard) == before + added
    assert dashboard.engine.version() != version
    one_off.follow_lake()  # the default: a look a minute at most, and only when asked
    assert one_off.version() == one_off_version
    views = _temporary_views(dashboard.engine)
    with monkeypatch.context() as patch:  # the lake cannot be listed for a while: the last data stays
        broken = OSError("the lake's name node is down")
        patch.setattr(
            dashboard.engine.files, "listing", lambda *args, **kwargs: (_ for _ in ()).throw(broken)
        )
        more = _add_month(following, lake, 2)
        assert _nps_answers(dashboard) == before + added
    assert _nps_answers(dashboard) == before + added + more  # listed again: the new file is read
    assert _temporary_views(dashboard.engine) == views  # the tables' views were replaced, not added
    dashboard.close()
    one_off.close()
    one_off.store.close()


def test_summary_folders_no_manifest_names_are_swept_after_a_week(lake: Lake, tmp_path: Path) -> None:
    """Two refreshes at the same moment both write a folder and the manifest keeps one: the other is
    deleted once its files are older than RETIRED_FOR, never sooner (a refresh may be about to name it)."""
    import datetime as dt

    from cxgap.engine.manifest import RETIRED, RETIRED_FOR, LakeFiles, sweep_orphans

    engine = _engine(lake, {t: str(lake.export / t) for t in LAKE_TABLES}, tmp_path / "summaries")
    folder = tmp_path / "summaries"
    now = dt.datetime.now(dt.UTC)
    old = (now - RETIRED_FOR - dt.timedelta(hours=1)).timestamp()
    names = ["rollup_items.aaaaaaaaaaaa", "rollup_items.bbbbbbbbbbbb", "customer_touchpoints.cccccccccccc"]
    names += ["rollup_items.dddddddddddd", "somebody_elses_folder"]
    for name in names:
        (folder / name).mkdir(parents=True)
        part = folder / name / "part-0.parquet"
        part.write_bytes(b"PAR1")
        if name != "rollup_items.dddddddddddd":  # written within the week: maybe a refresh's, still running
            os.utime(part, (old, old))
    manifest = {
        "rollup_items": {"data": str(folder / "rollup_items.aaaaaaaaaaaa")},
        RETIRED: [{"data": str(folder / "customer_touchpoints.cccccccccccc"), "since": now.isoformat()}],
    }
    swept = sweep_orphans(LakeFiles(engine.session), str(folder), manifest, now)
    assert [path.rsplit("/", 1)[-1] for path in swept] == ["rollup_items.bbbbbbbbbbbb"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(set(names) - {"rollup_items.bbbbbbbbbbbb"})
    engine.close()
    engine.store.close()
