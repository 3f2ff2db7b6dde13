"""The HTML report: the gaps, where to act first, charts with a finding under each; opens offline."""

from __future__ import annotations

from cxgap.report.content import Report, Section, build_report
from cxgap.report.render import write_html

__all__ = ["Report", "Section", "build_report", "write_html"]
