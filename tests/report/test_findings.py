"""The findings written under the report's charts name what was measured."""

from __future__ import annotations

from typing import Any

import pytest

from cxgap.config import demo_settings
from cxgap.drivers import drivers
from cxgap.report.content import drivers_finding


@pytest.mark.parametrize(
    ("outcome", "level", "words"),
    [
        ("nps", "dimensions", "The dimensions explain R² = "),
        ("nps", "items", "The items explain R² = "),
    ],
)
def test_the_drivers_finding_names_its_drivers_and_outcome(
    demo_engine: Any, outcome: str, level: str, words: str
) -> None:
    report = drivers(demo_engine, demo_settings(), outcome, level, None, 20)
    finding = drivers_finding(report)
    assert finding.startswith(words), finding
    wanted = "of likelihood to recommend (0-10)"
    assert wanted in finding and "nan" not in finding
