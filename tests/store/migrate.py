"""Move a test store to a given schema revision, up or down, as `alembic` would."""

from __future__ import annotations

from alembic import command

from cxgap.store import Store
from cxgap.store.core import _alembic_config


def migrate(store: Store, revision: str, down: bool = False) -> None:
    """Upgrade (or with `down`, downgrade) `store` to `revision` in one transaction."""
    with store.engine.begin() as conn:
        config = _alembic_config()
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)
