"""An import killed part-way leaves no half batch, and the same import can simply be run again."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cxgap.io import import_file, mapping_from_dict
from cxgap.store import Store

MAPPING = {
    "table": "responses",
    "columns": {"response_id": "id", "responded_at": "date", "nps": "nps"},
    "constants": {"survey_kind": "relational"},
}
ROWS = 20_000

KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from cxgap.io import import_file, mapping_from_dict
    from cxgap.store import Store

    store = Store(sys.argv[1])
    chunks = []

    def progress(rows, done):
        chunks.append(rows)
        if len(chunks) == 2:  # two chunks are in the open transaction: die without warning
            os.kill(os.getpid(), signal.SIGKILL)

    import_file(store, sys.argv[2], mapping_from_dict(%r), progress=progress, chunk_rows=5000)
    print("not killed")
    """
) % (MAPPING,)


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.csv"
    lines = ["id,date,nps"] + [f"R{i},2024-01-{1 + i % 28:02d},{i % 11}" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_killed_import_leaves_nothing_and_reruns_cleanly(
    store_url: str, big_file: Path, tmp_path: Path
) -> None:
    Store(store_url).close()  # migrate first, so the kill hits the data transaction
    done = subprocess.run(
        [sys.executable, "-c", KILLER, store_url, str(big_file)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == -9, done.stderr
    store = Store(store_url)
    assert store.count("responses") == 0
    assert store.counts() == dict.fromkeys(store.counts(), 0)
    summary = import_file(store, big_file, mapping_from_dict(MAPPING))
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (ROWS, ROWS, 0)
    assert store.count("responses") == ROWS
    store.close()
