"""A chart as a page shows it: the Vega-Lite spec drawn as inline SVG, and the finding written under it."""

from __future__ import annotations

from typing import Any

import vl_convert as vlc


def chart(spec: dict[str, Any] | None, finding: str) -> dict[str, Any]:
    """What chart.html.j2 renders: the spec, its SVG (None when there is nothing to draw) and the finding."""
    return {"spec": spec, "svg": vlc.vegalite_to_svg(spec) if spec else None, "finding": finding}
