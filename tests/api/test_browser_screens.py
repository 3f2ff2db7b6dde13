"""Screenshots of every page at desktop (1280 px) and phone (390 px) width, full page, kept in the artefacts
folder for people to look at; each is checked to be as wide as its screen (nothing sticks out sideways)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.browser_pages import DESKTOP, EVERY_PAGE, PHONE, SLOW, Site, open_page, signed_in

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    return shared_site


@pytest.fixture(scope="module")
def tabs(chromium: Any, site: Site) -> Iterator[dict[str, Any]]:
    """A signed-in tab per width, for every page in turn."""
    opened = {width: signed_in(chromium, site, size) for width, size in WIDTHS.items()}
    yield opened
    for tab in opened.values():
        tab.close()


def _png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height in pixels, from its header."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def _name(path: str) -> str:
    if path.startswith("/customers/"):
        return "customer"
    return path.strip("/").replace("/", "-") or "overview"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", EVERY_PAGE)
def test_a_full_page_screenshot_at_each_width(
    tabs: dict[str, Any], site: Site, path: str, width: str, artifacts: Path
) -> None:
    path = path.format(customer=site.customer_id)
    if site.missing(path):
        pytest.skip(f"{path} is not served yet (404)")
    tab = tabs[width]
    open_page(tab, site, path)
    assert tab.inner_text("main h2")
    shot = artifacts / f"screen-{_name(path)}-{width}.png"
    tab.screenshot(path=str(shot), full_page=True)
    shot_width, shot_height = _png_size(shot)
    assert shot_width == WIDTHS[width]["width"], f"{path} at {width}: {shot_width} px wide"
    assert shot_height >= WIDTHS[width]["height"]


def test_the_sign_in_page_at_each_width(chromium: Any, site: Site, artifacts: Path) -> None:
    for width, size in WIDTHS.items():
        tab = chromium.new_page(viewport=size)
        tab.goto(site.base + "/sign-in", wait_until="networkidle", timeout=SLOW)
        shot = artifacts / f"screen-sign-in-{width}.png"
        tab.screenshot(path=str(shot), full_page=True)
        tab.close()
        assert _png_size(shot)[0] == size["width"]
