"""The web surface: FastAPI app with a JSON API and server-rendered pages over the same result objects."""

from __future__ import annotations

from cxgap.api.app import create_app
from cxgap.api.results import ResultCache, plain
from cxgap.store.kept import store_version

__all__ = ["ResultCache", "create_app", "plain", "store_version"]
