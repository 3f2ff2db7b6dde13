"""Shared fixtures: stores on both backends, small file writers, the CLI runner."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import settings
from typer.testing import CliRunner

from cxgap.store import Store

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REQUIRE_BROWSER = os.environ.get("CXGAP_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PG_SERVER = os.environ.get("CXGAP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("CXGAP_REQUIRE_PG") == "1"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REQUIRE_SHARED = os.environ.get("CXGAP_REQUIRE_SHARED") == "1"


# Files holding a test with one of these marks run first (see pytest_collection_modifyitems).
HEAVY_MARKS = ("slow", "spark")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the files that hold a slow (or Spark) test first, then the others by number of tests, most first.

    Under `-n 2 --dist loadfile` (with `--no-loadscope-reorder`, so xdist keeps this order) each file goes
    to one worker, and a worker is handed the next file while it still has two tests to run. xdist's own
    order (by number of tests) puts the slowest files, which hold one or two tests, last, where one of them
    can keep a worker busy (or queue behind another) while the other worker has nothing left to do. Run
    first, they overlap with the many short files instead. Only the order changes; every test still runs.
    """
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def rank(tests: list[pytest.Item]) -> tuple[bool, int]:
        heavy = any(test.get_closest_marker(mark) for test in tests for mark in HEAVY_MARKS)
        return (not heavy, -len(tests))

    items[:] = [item for tests in sorted(files.values(), key=rank) for item in tests]


def _pg_reachable() -> str | None:
    try:
        engine = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:  # any driver or network error means "not reachable"
        return f"PostgreSQL not reachable at {PG_SERVER} ({type(error).__name__}); set CXGAP_TEST_PG_URL"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped afterwards)."""
    reason = _pg_reachable()
    if reason:
        if REQUIRE_PG:
            pytest.fail(f"{reason} (CXGAP_REQUIRE_PG=1 makes this a failure)")
        pytest.skip(reason)
    name = f"cxgap_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = sa.make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@functools.cache
def _head() -> str:
    """The newest schema revision (read from the migration scripts once per process, not per test)."""
    from alembic.script import ScriptDirectory

    from cxgap.store.core import _alembic_config

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _filled(conn: sa.Connection, tables: list[str]) -> list[str]:
    """Which of `tables` hold a row (one query; each table is probed for its first row only)."""
    probes = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables)
    return list(conn.execute(sa.text(probes)).scalars())


def _reset_pg(url: str) -> None:
    """Empty the test database. When it holds exactly cxgap's tables at the newest revision (the usual
    case: the last test used a store), the tables holding rows are truncated (CASCADE also empties the
    tables that reference them), which takes a twentieth of migrating again: a test fills a few of the
    tables, and truncating all of them took a second on a loaded two-core machine, probing them 0.03 s;
    anything else (an older or a made-up revision, other objects) is dropped and the next store migrates."""
    from cxgap.store.models import Base

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = {
            r[0] for r in conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        }
        others = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm', 'S')"
            )
        ).scalar_one()
        ours = set(Base.metadata.tables) | {"alembic_version"}
        current = tables == ours and not others
        if current:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
            current = version == [_head()]
        if current:
            filled = _filled(conn, sorted(ours - {"alembic_version"}))
            if filled:
                conn.execute(sa.text(f"TRUNCATE {', '.join(filled)} CASCADE"))
        else:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def duckdb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty DuckDB store at the newest revision, migrated once per worker and copied for each test
    (a copy takes 0.05 s, migrating 0.35 s, and the suite opens hundreds of stores)."""
    path = tmp_path_factory.mktemp("template") / "cxgap.duckdb"
    Store(f"duckdb:///{path}").close()
    return path


def new_duckdb_url(folder: Path, template: Path) -> str:
    """A fresh copy of the empty template store in `folder`, as a URL."""
    target = folder / "cxgap.duckdb"
    shutil.copyfile(template, target)
    return f"duckdb:///{target}"


def shared_file(name: str) -> Path:
    """One of the real public data sets in ../shared/data (they sit beside the project, not in it).

    A fresh clone has no ../shared: the test is skipped with the reason, unless CXGAP_REQUIRE_SHARED=1
    (as in CI), where a missing file is a failure, so a CI run can never pass by skipping them.
    """
    path = SHARED_DATA / name
    if not path.exists():
        reason = f"{path} is not here (the shared data sets sit beside the project, in ../shared/data)"
        if REQUIRE_SHARED:
            pytest.fail(f"{reason}; CXGAP_REQUIRE_SHARED=1 makes this a failure")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Callable[[str], Path]:
    """`shared_data(name)`: the path of a shared real data set, or a skip (a failure under
    CXGAP_REQUIRE_SHARED=1) when it is missing; see `shared_file`."""
    return shared_file


@pytest.fixture(scope="session")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The demo company (10,000 customers, seed 42) in a DuckDB store, shared by the analytics tests."""
    from cxgap.demo import simulate, write_demo
    from cxgap.engine import Engine

    store = Store(f"duckdb:///{tmp_path_factory.mktemp('demo') / 'demo.duckdb'}")
    write_demo(store, simulate(10_000, seed=42))
    yield Engine(store)
    store.close()


@pytest.fixture
def duckdb_url(tmp_path: Path, duckdb_template: Path) -> str:
    """URL of a new, empty DuckDB file store (already at the newest schema revision)."""
    return new_duckdb_url(tmp_path, duckdb_template)


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """URL of an emptied PostgreSQL store."""
    _reset_pg(pg_database)
    return pg_database


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new empty store URL, once per backend (DuckDB: a copy of the migrated template; PostgreSQL: the
    test database emptied). `fresh_store_url` gives one with no schema at all."""
    if request.param == "duckdb":
        return new_duckdb_url(tmp_path, request.getfixturevalue("duckdb_template"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL with no schema at all, once per backend: for tests of migrating from scratch."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'fresh.duckdb'}"
    url = str(request.getfixturevalue("pg_database"))
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store, once per backend."""
    s = Store(store_url)
    yield s
    s.close()


@pytest.fixture
def duck_store(duckdb_url: str) -> Iterator[Store]:
    """A migrated DuckDB store (for tests that need one backend only)."""
    s = Store(duckdb_url)
    yield s
    s.close()


@pytest.fixture
def write(tmp_path: Path):
    """Write a small file into tmp_path and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return path

    return _write


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `cxgap ...` in-process in tmp_path (exit code, stdout, stderr kept apart)."""
    from cxgap.cli.main import app
    from cxgap.cli.output import err, out

    for console in (out, err):  # follow COLUMNS as the test sets it, whatever it was at import (xdist)
        monkeypatch.setattr(console, "_width", None)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CXGAP_STORE_URL", raising=False)
    monkeypatch.delenv("CXGAP_CONFIG", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)  # full width unless the test sets one
    runner = CliRunner()

    def _run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return _run


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's headless chromium driven by Playwright (never a downloaded browser); skipped when it is
    not installed, unless CXGAP_REQUIRE_BROWSER=1."""
    if not Path(CHROMIUM).exists():
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(f"{reason}; CXGAP_REQUIRE_BROWSER=1 makes this a failure")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder CI keeps after a run (screenshots and rendered pages to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 3 MB tmpfs of its own (mounted for this test, unmounted after); skipped where this
    process may not mount (not root, or a container without the capability)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("there is no mount command here to make a small full disk")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3M", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a 3 MB tmpfs is not permitted here ({done.stderr.strip() or 'refused'})")
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
