"""The engine: Ibis expressions executed by the store's backend, so only aggregates reach Python."""

from __future__ import annotations

from typing import Any

import ibis
import sqlalchemy as sa

from cxgap.engine.filters import ALL, Filters
from cxgap.errors import StoreError
from cxgap.store import Store, describe_url


class Engine:
    """An Ibis connection on the same data as a Store (DuckDB shares the store's instance)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._tables: dict[str, Any] = {}
        if store.backend == "duckdb":
            self.con: Any = ibis.duckdb.from_connection(store.duckdb_connection())
        else:
            url = sa.make_url(store.url)
            try:
                self.con = ibis.postgres.connect(
                    host=url.host or "127.0.0.1",
                    port=url.port or 5432,
                    user=url.username,
                    password=url.password,
                    database=url.database,
                )
            except Exception as error:  # driver errors differ; all mean "cannot open"
                raise StoreError(f"The engine cannot reach {describe_url(store.url)}: {error}.") from None

    @property
    def backend(self) -> str:
        """'duckdb' or 'postgresql'."""
        return self.store.backend

    def table(self, name: str) -> Any:
        """An Ibis table expression for a cxgap table (looked up once per Engine: the schema is fixed
        while the store is open, since migrations run only when a Store opens)."""
        if name not in self._tables:
            self._tables[name] = self.con.table(name)
        return self._tables[name]


__all__ = ["ALL", "Engine", "Filters"]
