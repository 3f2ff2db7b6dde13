"""Write the report as one self-contained HTML file (inline SVG charts, no scripts, nothing fetched)."""

from __future__ import annotations

import math
from pathlib import Path

import jinja2
import vl_convert as vlc

from cxgap.gaps import describe, figure, q_text, ranking_sentence
from cxgap.report.content import Report


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("cxgap.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def svgs(report: Report) -> dict[str, str | None]:
    """Each section's chart as SVG text (None where there is no chart)."""
    return {s.key: vlc.vegalite_to_svg(s.spec) if s.spec else None for s in report.sections}


def write_html(report: Report, path: str | Path, png_dir: str | Path | None = None) -> Path:
    """Write the HTML report (and each chart as PNG in `png_dir` when given); returns the HTML path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tested = sum(1 for g in report.gaps.gaps if not math.isnan(g.p_value))
    html = (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            svgs=svgs(report),
            act_first=report.gaps.act_first(10, report.rank, rest=True),
            ranking=ranking_sentence(report.rank, option=False),
            items=report.gaps.ranked(report.rank, "customer"),
            summary=report.gaps.summary(),
            describe=describe,
            figure=figure,
            q_text=q_text,
            tested=tested,
        )
    )
    path.write_text(html, encoding="utf-8")
    if png_dir is not None:
        folder = Path(png_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for section in report.sections:
            if section.spec:
                (folder / f"{section.key}.png").write_bytes(vlc.vegalite_to_png(section.spec, scale=2))
    return path
