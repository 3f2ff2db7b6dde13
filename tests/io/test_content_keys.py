"""Rows without an id are keyed by a hash of their content: a whole CSAT or CES is hashed as the integer it
was before migration 0013 made the scores exact, so a file imported before the upgrade is recognised after it
(instead of every response being loaded a second time)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from cxgap.io import import_file, mapping_from_dict
from cxgap.io.importer import _as_whole_before
from cxgap.store import Store

MAPPING = {
    "table": "responses",
    "columns": {"responded_at": "date", "nps": "nps", "csat": "csat", "ces": "ces"},
    "constants": {"survey_kind": "relational"},
    "scales": {"csat": [1, 7]},
}


def test_whole_scores_hash_as_integers_and_fractions_as_they_are() -> None:
    assert _as_whole_before(4.0) == 4 and isinstance(_as_whole_before(4.0), int)
    assert _as_whole_before(4.333) == 4.333 and _as_whole_before(None) is None


def test_a_file_without_ids_is_recognised_on_a_second_import(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("date,nps,csat,ces\n2024-07-01,9,7,5\n2024-07-02,3,6,2\n", encoding="utf-8")
    first = import_file(store, path, mapping_from_dict(MAPPING))
    again = import_file(store, path, mapping_from_dict(MAPPING))
    assert (first.rows_loaded, again.rows_loaded, again.rows_existing) == (2, 0, 2)
    with store.engine.connect() as conn:
        csat = sorted(conn.execute(sa.text("SELECT csat FROM responses")).scalars())
    assert abs(csat[0] - 13 / 3) < 1e-12 and csat[1] == 5.0  # 6 and 7 on 1-7, not rounded
