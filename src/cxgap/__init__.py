"""cxgap: measure the customer experience gap and drive closing it.

The public API is small on purpose; each domain package exposes its own surface.
"""

from __future__ import annotations

from cxgap.config import Settings, load_settings
from cxgap.errors import ConfigError, CxgapError, InputFileError, StoreError
from cxgap.io import ImportSummary, import_file
from cxgap.store import Store

__all__ = [
    "ConfigError",
    "CxgapError",
    "ImportSummary",
    "InputFileError",
    "Settings",
    "Store",
    "StoreError",
    "import_file",
    "load_settings",
]

__version__ = "0.1.0"
