"""A full disk under the store: `cxgap import` and `cxgap demo` end with one sentence and exit code 2, and
the store keeps nothing of the batch. The disk is really full (a 3 MB tmpfs, or a file-size limit), never
a mocked error."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from cxgap.store.space import is_disk_full

MAPPING = """table = "customers"

[columns]
customer_id = "id"
segment = "plan"
churned = "churn"
revenue = "monthly"
name = "name"
"""
MESSAGE = "The store's disk is full"


def _big_customers(path: Path, rows: int = 100_000) -> Path:
    """A CRM export far larger than 3 MB once stored (about 6 MB of CSV)."""
    with path.open("w", encoding="utf-8") as out:
        out.write("id,plan,churn,monthly,name\n")
        for k in range(rows):
            out.write(
                f"K{k:07d},plan{k % 7},{'Yes' if k % 4 == 0 else 'No'},{20 + k % 50}.5,customer {k * 7919}\n"
            )
    return path


def _rows_on_disk(database: Path, table: str) -> int:
    """Rows of `table` as a new process finds them in the file (what was durably kept, not what one
    process may still hold in memory)."""
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        f"print(c.execute('SELECT count(*) FROM {table}').fetchone()[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(database)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def _one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_import_and_demo_on_a_full_disk_are_one_sentence_and_keep_nothing(
    cli, tmp_path: Path, full_disk: Path
) -> None:
    url = f"duckdb:///{full_disk / 'cxgap.duckdb'}"
    (tmp_path / "cxgap.toml").write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    data = _big_customers(tmp_path / "crm.csv")
    result = cli("import", str(data), "--mapping", "m.toml")
    assert result.exit_code == 2
    line = _one_sentence(result.stderr)
    assert MESSAGE in line and "free space and import again; nothing from this batch was kept." in line
    assert _rows_on_disk(full_disk / "cxgap.duckdb", "customers") == 0
    assert _rows_on_disk(full_disk / "cxgap.duckdb", "import_batches") == 0
    demo = cli("demo", "--customers", "3000", "--no-analysis", "--no-loop")
    assert demo.exit_code == 2
    assert MESSAGE in _one_sentence(demo.stderr) and "run the demo again" in demo.stderr
    assert _rows_on_disk(full_disk / "cxgap.duckdb", "customers") == 0


@pytest.mark.skipif(sys.platform == "win32", reason="file-size limits (RLIMIT_FSIZE) are POSIX only")
def test_a_file_size_limit_is_told_like_a_full_disk(tmp_path: Path) -> None:
    """Python ignores SIGXFSZ, so a write past RLIMIT_FSIZE fails with EFBIG ('File too large'): the
    same sentence, from a real `cxgap import` in a process of its own."""
    import resource

    limit = 3 * 1024 * 1024

    def _limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    url = f"duckdb:///{tmp_path / 'cxgap.duckdb'}"
    (tmp_path / "cxgap.toml").write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    _big_customers(tmp_path / "crm.csv")
    done = subprocess.run(
        [sys.executable, "-m", "cxgap", "import", "crm.csv", "--mapping", "m.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        preexec_fn=_limit,  # noqa: PLW1509 (only sets a resource limit; no threads are involved)
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert MESSAGE in _one_sentence(done.stderr) and "nothing from this batch was kept" in done.stderr
    assert _rows_on_disk(tmp_path / "cxgap.duckdb", "customers") == 0


def test_only_out_of_space_errors_count_as_a_full_disk() -> None:
    duck = sa.exc.OperationalError(
        "COMMIT", {}, Exception('Could not write file "x.duckdb": No space left on device')
    )
    assert is_disk_full(duck)
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(OSError(errno.EFBIG, "File too large"))
    try:
        import psycopg

        assert is_disk_full(psycopg.errors.DiskFull("could not extend file"))
    except ImportError:  # psycopg is a dependency; this only guards a trimmed install
        pass
    # a row's text in the statement's parameters is not the database speaking
    assert not is_disk_full(
        sa.exc.IntegrityError("INSERT", {"text": "disk full again!"}, Exception("duplicate key"))
    )
    assert not is_disk_full(OSError(errno.ENOENT, "No such file or directory"))
    assert not is_disk_full(ValueError("No objects to concatenate"))
