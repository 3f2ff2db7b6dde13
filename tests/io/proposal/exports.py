"""Where the export fixtures live (tests/data/exports; see the README there for the formats they follow)."""

from __future__ import annotations

from pathlib import Path

EXPORTS = Path(__file__).resolve().parents[2] / "data" / "exports"


def export(name: str) -> Path:
    """The path of one export fixture."""
    return EXPORTS / name
