"""The charts, drawn by vl-convert from the results of a 3,000-customer demo: no data gives no chart (never
an error), the P - E bars are as long as the gaps, the gap map has a row per touchpoint and readable text,
panels that compare share their time axis, driver labels never overlap, and nothing a screen reader or a
tooltip reads carries more than 3 decimals; every label is at least 12 px."""

from __future__ import annotations

import dataclasses
import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import vl_convert as vlc

from cxgap.api.dashboard import Dashboard
from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import Filters
from cxgap.gaps import GAP_KINDS, GapReport
from cxgap.impact import ValueReport
from cxgap.report import charts, journey_risk_charts
from cxgap.report.chart_parts import contrast, ink_on, label_width, place_labels
from cxgap.report.gap_map import FILLS
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND

NS = "{http://www.w3.org/2000/svg}"
TRANSLATE = re.compile(r"translate\(([-\d.e]+),\s*([-\d.e]+)\)")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The dashboard's results on the demo: the whole store and a slice with no data in it."""
    url = f"duckdb:///{tmp_path_factory.mktemp('charts') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=42))
    board = Dashboard(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    nothing = Filters(since="2030-01")
    risk = board.risk()
    assert not isinstance(risk, str), risk
    drivers = board.drivers(Filters(), "items")
    assert not isinstance(drivers, str), drivers
    yield {
        "gaps": board.gaps(Filters()),
        "scores": board.scores(Filters()),
        "drivers": drivers,
        "text": board.text(Filters()),
        "journeys": board.journeys(),
        "risk": risk,
        "touchpoints": list(board.settings.touchpoints),
        "empty_scores": board.scores(nothing),
    }
    board.close()


def _svg(spec: dict[str, Any] | None) -> ET.Element:
    assert spec is not None
    return ET.fromstring(vlc.vegalite_to_svg(spec))


def _placed(root: ET.Element) -> Iterator[tuple[ET.Element, float, float]]:
    """Every element with its absolute offset (the sum of its ancestors' translations)."""

    def walk(element: ET.Element, x: float, y: float) -> Iterator[tuple[ET.Element, float, float]]:
        found = TRANSLATE.search(element.get("transform", ""))
        if found:
            x, y = x + float(found.group(1)), y + float(found.group(2))
        yield element, x, y
        for child in element:
            yield from walk(child, x, y)

    return walk(root, 0.0, 0.0)


def _marks(root: ET.Element, kind: str) -> list[ET.Element]:
    """The drawn items of every `kind` mark layer (rect, text, symbol, ...), in data order."""
    layers = [g for g in root.iter(f"{NS}g") if f"mark-{kind} role-mark" in g.get("class", "")]
    return [item for layer in layers for item in layer]


def _all_specs(r: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    gaps = r["gaps"]
    return {
        "headline": charts.headline_chart(gaps),
        "gap_map": charts.gap_map(gaps, r["touchpoints"]),
        "perception": charts.gap_bars(gaps, ("perception",), "leaders", role="leader"),
        "customer": charts.gap_bars(gaps, ("customer",), "Perception minus expectation"),
        "operations": charts.gap_bars(gaps, ("implementation", "communication"), "operations"),
        "trend": charts.trend_chart(list(r["scores"].trend), "Scores by month"),
        "quadrant": charts.quadrant_chart(r["drivers"]),
        "themes": charts.theme_chart(r["text"]),
        "flow": journey_risk_charts.flow_chart(r["journeys"]),
        "damage": journey_risk_charts.damage_chart(r["journeys"]),
        "health": journey_risk_charts.health_chart(r["risk"]),
        "calibration": journey_risk_charts.calibration_chart(r["risk"]),
    }


def test_no_data_gives_no_chart_and_never_an_error(results: dict[str, Any]) -> None:
    empty = GapReport(gaps=())
    assert charts.headline_chart(empty) is None
    assert charts.gap_map(empty, results["touchpoints"]) is None
    assert charts.gap_bars(empty, ("customer",), "P - E") is None
    assert charts.trend_chart([], "trend") is None
    assert charts.trend_chart(list(results["empty_scores"].trend), "trend") is None  # a slice with no answers
    assert charts.value_chart(ValueReport(values=())) is None
    assert charts.quadrant_chart(dataclasses.replace(results["drivers"], drivers=())) is None
    assert charts.theme_chart(dataclasses.replace(results["text"], themes=())) is None
    assert journey_risk_charts.flow_chart(dataclasses.replace(results["journeys"], flow=())) is None
    risk = results["risk"]
    assert journey_risk_charts.health_chart(dataclasses.replace(risk, scored=risk.scored.iloc[:0])) is None


def test_each_p_minus_e_bar_is_as_long_as_its_gap(results: dict[str, Any]) -> None:
    gaps = results["gaps"]
    base = {
        f"overall · {g.subject}" if g.touchpoint is None else f"{g.touchpoint} · {g.subject}": g.value
        for g in gaps.gaps
        if g.kind == "customer" and g.segment is None
    }
    assert any(g.kind == "customer" and g.segment for g in gaps.gaps), "the demo has segment gaps too"
    root = _svg(charts.gap_bars(gaps, ("customer",), "Perception minus expectation"))
    placed = list(_placed(root))
    ticks = [
        (x, float(e.text.replace("−", "-")))
        for e, x, _ in placed
        if e.tag == f"{NS}text" and e.text and re.fullmatch(r"[−-]?\d+(\.\d+)?", e.text)
    ]
    (x1, v1), (x2, v2) = ticks[0], ticks[-1]
    per_unit = (x2 - x1) / (v2 - v1)
    zero = x1 - v1 * per_unit
    bars = [(e, x) for e, x, _ in placed if e.tag == f"{NS}path" and e.get("aria-roledescription") == "bar"]
    assert len(bars) == len(base)  # one bar per gap of the whole base: segments are not stacked on it
    for bar, offset in bars:
        start, width = (
            float(v) for v in re.match(r"M([-\d.e]+),[-\d.e]+h([-\d.e]+)", bar.get("d", "")).groups()
        )
        left, right = offset + start, offset + start + width
        drawn = (left - zero if abs(left - zero) > abs(right - zero) else right - zero) / per_unit
        name = bar.get("aria-label", "").split(":")[0]
        assert drawn == pytest.approx(base[name], abs=0.03), name


def test_the_gap_map_has_every_touchpoint_and_text_readable_on_every_cell(results: dict[str, Any]) -> None:
    spec = charts.gap_map(results["gaps"], results["touchpoints"])
    assert spec is not None
    rows = spec["usermeta"]["table"]["rows"]
    assert {(r[0], r[1]) for r in rows} == {
        (t, k) for t in ["overall", *results["touchpoints"]] for k in GAP_KINDS
    }
    measured = {(g.touchpoint or "overall", g.kind) for g in results["gaps"].gaps}
    for touchpoint, kind, _, status, count, _ in rows:
        assert (status == "not measured") == ((touchpoint, kind) not in measured) == (count == 0)
    root = _svg(spec)
    fills = [e.get("fill") for e in _marks(root, "rect")]
    inks = [e.get("fill") for e in _marks(root, "text")]
    assert len(fills) == len(inks) == len(rows)
    for fill, ink in zip(fills, inks, strict=True):
        assert contrast(str(fill), str(ink)) >= 4.5, (fill, ink)
    assert all(contrast(ink_on(fill), fill) >= 4.5 for fill in FILLS.values())


def test_every_chart_is_titled_with_a_table_12px_labels_and_rounded_descriptions(
    results: dict[str, Any],
) -> None:
    for name, spec in _all_specs(results).items():
        assert spec is not None, name
        assert spec["title"]["text"] and spec["usermeta"]["table"]["rows"], name
        svg = vlc.vegalite_to_svg(spec)
        sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)px"', svg)]
        assert sizes and min(sizes) >= 12, (name, min(sizes))
        labels = re.findall(r'aria-label="([^"]*)"', svg)
        assert [t for t in labels if re.search(r"\d\.\d{4,}", t)] == [], name
        root = ET.fromstring(svg)
        marks = [e for kind in ("rect", "symbol", "line") for e in _marks(root, kind) if e.get("aria-label")]
        assert marks, f"{name}: no mark is described"


def test_trend_panels_share_one_time_axis(results: dict[str, Any]) -> None:
    root = _svg(charts.trend_chart(list(results["scores"].trend), "Scores by month"))
    axes = [g for g in root.iter(f"{NS}g") if g.get("aria-label", "").startswith("X-axis")]
    assert len(axes) == 3
    ticks = [[(t.get("transform"), t.text) for t in axis.iter(f"{NS}text")] for axis in axes]
    assert ticks[0] and ticks[0] == ticks[1] == ticks[2]


def test_driver_labels_never_overlap(results: dict[str, Any]) -> None:
    root = _svg(charts.quadrant_chart(results["drivers"]))
    names = {d.name for d in results["drivers"].drivers}
    boxes = []
    for element, x, y in _placed(root):
        if element.tag == f"{NS}text" and element.text in names:
            width = label_width(element.text)
            anchor = element.get("text-anchor", "start")
            left = x - {"start": 0.0, "middle": width / 2, "end": width}[anchor]
            boxes.append((left, y - 9, left + width, y + 5))
    assert len(boxes) >= len(names) - 1
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


def test_label_placement_leaves_no_overlap_even_when_crowded() -> None:
    rng = random.Random(7)
    points = [(rng.uniform(100, 200), rng.uniform(100, 160)) for _ in range(30)]
    texts = [f"driver_{i}" for i in range(30)]
    spots = place_labels(points, texts, 520, 320)
    boxes = []
    for spot, text in zip(spots, texts, strict=True):
        if spot is not None:
            x, y, align = spot
            w = label_width(text)
            left = {"left": x, "center": x - w / 2, "right": x - w}[align]
            boxes.append((left, y - 7, left + w, y + 7))
    assert len(boxes) >= 15
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_journey_damage_is_labelled_in_0_to_10_scale_points(results: dict[str, Any]) -> None:
    spec = journey_risk_charts.damage_chart(results["journeys"])
    assert spec is not None
    assert "0-10" in spec["title"]["text"] and "0-10 scale points" in spec["usermeta"]["table"]["columns"][1]
    assert "NPS points" not in vlc.vegalite_to_svg(spec)
