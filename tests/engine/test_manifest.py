"""A summary folder a newer refresh replaced is set aside, not deleted at once (another process may still read
it), and deleted once it has been retired for longer than RETIRED_FOR."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cxgap.engine.manifest import RETIRED, RETIRED_FOR, retire

NOW = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)


def test_a_replaced_folder_stays_until_it_has_been_retired_long_enough() -> None:
    deleted: list[str] = []
    manifest: dict[str, Any] = {"rollup_items": {"data": "/s/rollup_items.b"}}
    retire(manifest, "/s/rollup_items.a", NOW, deleted.append)
    assert deleted == [] and [e["data"] for e in manifest[RETIRED]] == ["/s/rollup_items.a"]

    retire(manifest, "/s/rollup_items.b", NOW + RETIRED_FOR, deleted.append)  # not longer than: kept
    assert deleted == [] and len(manifest[RETIRED]) == 2

    later = NOW + RETIRED_FOR + dt.timedelta(seconds=1)
    retire(manifest, "/s/rollup_items.c", later, deleted.append)
    assert deleted == ["/s/rollup_items.a"]
    assert [e["data"] for e in manifest[RETIRED]] == ["/s/rollup_items.b", "/s/rollup_items.c"]
    assert manifest["rollup_items"] == {"data": "/s/rollup_items.b"}  # the summaries' own entries untouched
