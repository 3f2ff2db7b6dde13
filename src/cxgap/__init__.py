"""cxgap: measure the customer experience gap and drive closing it.

The public API is small on purpose; each domain package exposes its own surface. Its names load on first
use (PEP 562), so `import cxgap.config` or `cxgap --help` does not import the store, pandas or scipy.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {  # each public name -> the module that defines it
    "ConfigError": "cxgap.errors",
    "CxgapError": "cxgap.errors",
    "ImportSummary": "cxgap.io",
    "InputFileError": "cxgap.errors",
    "Settings": "cxgap.config",
    "Store": "cxgap.store",
    "StoreError": "cxgap.errors",
    "import_file": "cxgap.io",
    "load_settings": "cxgap.config",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use and keep the name here, so later look-ups are plain; a
    subpackage (`cxgap.store`, `cxgap.io`, ...) is imported when first reached as an attribute."""
    home = _HOMES.get(name)
    if home is None:
        if importlib.util.find_spec(f"cxgap.{name}") is None:
            raise AttributeError(f"module 'cxgap' has no attribute {name!r}")
        return importlib.import_module(f"cxgap.{name}")  # a subpackage, as `import cxgap` gave them before
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
