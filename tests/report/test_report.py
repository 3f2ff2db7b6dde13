"""The HTML report: self-contained, opens offline, every chart drawn, checked in a real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxgap.config import demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import Engine
from cxgap.report import Report, build_report, write_html
from cxgap.store import Store


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Report, Path, Path]]:
    folder = tmp_path_factory.mktemp("report")
    store = Store(f"duckdb:///{folder / 'demo.duckdb'}")
    write_demo(store, simulate(5_000, seed=42))
    report = build_report(Engine(store), demo_settings())
    html = write_html(report, folder / "report.html", png_dir=folder / "png")
    yield report, html, folder / "png"
    store.close()


def test_report_is_one_self_contained_file(written: tuple[Report, Path, Path]) -> None:
    _, html, _ = written
    text = html.read_text(encoding="utf-8")
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert "src=" not in text.replace('xlink:href="#', "")  # no image, frame or font is fetched
    assert text.count("<svg") >= 6
    for heading in (
        "Where to act first",
        "The six gaps",
        "Gap map",
        "Service standards and promises",
        "What drives loyalty",
        "What closing the gap is worth",
        "What customers say",
        "Where customers fall out",
        "Churn risk and customer health",
    ):
        assert heading in text


def test_every_chart_has_a_finding_and_a_png(written: tuple[Report, Path, Path]) -> None:
    report, _, png = written
    for section in report.sections:
        assert section.spec is not None, section.key
        assert section.finding and not section.finding.startswith("Not measured"), section.key
        assert (png / f"{section.key}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    findings = {s.key: s.finding for s in report.sections}
    assert (
        "ordering makes one at installation" in findings["journeys"] and "churned at" in findings["journeys"]
    )
    assert "expected to churn within 90 days" in findings["risk"] and "held-out AUC" in findings["risk"]


def test_report_renders_in_headless_chromium_without_network(
    written: tuple[Report, Path, Path], chromium: Any, artifacts: Path
) -> None:
    report, html, _ = written
    requests: list[str] = []
    page = chromium.new_page(viewport={"width": 1100, "height": 1400})
    page.on("request", lambda request: requests.append(request.url))
    page.goto(html.as_uri(), wait_until="load")
    drawn = page.evaluate(
        "() => Array.from(document.querySelectorAll('.chart svg')).map(s => s.querySelectorAll('path, rect').length)"
    )
    headline = page.inner_text("#headline")
    page.screenshot(path=str(artifacts / "report.png"), full_page=True)
    page.close()
    assert [url for url in requests if not url.startswith(("file://", "data:"))] == []
    assert len(drawn) == len(report.sections) and all(marks > 5 for marks in drawn)
    assert "% of leaders" in headline
    assert (artifacts / "report.png").stat().st_size > 50_000


def test_where_to_act_first_shows_each_gap_with_its_n(written: tuple[Report, Path, Path]) -> None:
    """Every number with its n: the act-first table has the column the per-item table has; a gap between
    fixed values (a standard set against customers' expectation) reads "fixed"."""
    report, html, _ = written
    text = html.read_text(encoding="utf-8")
    section = text[text.index('<section id="act-first">') : text.index('<section id="six-gaps">')]
    assert "<th>n</th>" in section
    shown = report.gaps.act_first(10, report.rank, rest=True)
    for gap in shown:
        assert f'<td class="num">{f"{gap.n:,}" if gap.n else "fixed"}</td>' in section
