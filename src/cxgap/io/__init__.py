"""Import: CSV, JSON Lines and Parquet through mapping files and presets; nothing is lost or coerced silently."""

from __future__ import annotations

from cxgap.io.importer import import_file
from cxgap.io.mapping import PRESETS, Mapping, load_mapping, mapping_from_dict
from cxgap.io.summary import ImportSummary, Problem

__all__ = [
    "PRESETS",
    "ImportSummary",
    "Mapping",
    "Problem",
    "import_file",
    "load_mapping",
    "mapping_from_dict",
]
