"""Money as every surface prints it: the company's currency code, three significant figures and a unit
(k, M, bn), so a figure is never a bare number and reads the same in the dashboard, the CLI and the report.

Style: ``EUR 1.23M``; with an interval ``EUR 1.23M [850k, 1.6M]``; unknown values read ``not measured``.
"""

from __future__ import annotations

import math

UNITS = ((1e9, "bn"), (1e6, "M"), (1e3, "k"))
NOT_MEASURED = "not measured"


def amount(value: float) -> str:
    """A money amount without its currency, in three significant figures and a unit: 1234000 -> 1.23M."""
    if not math.isfinite(value):
        return NOT_MEASURED
    sign, size = ("-" if value < 0 else ""), abs(value)
    for scale, unit in UNITS:
        if size >= scale * 0.9995:  # 999,600 prints as 1M, not 1000k
            return f"{sign}{_figures(size / scale)}{unit}"
    return f"{sign}{size:,.0f}"


def money(value: float, currency: str) -> str:
    """A money figure with its currency: ``money(1_234_000, "EUR") == "EUR 1.23M"``."""
    if not math.isfinite(value):
        return NOT_MEASURED
    return f"{currency} {amount(value)}"


def money_interval(value: float, low: float, high: float, currency: str) -> str:
    """A money estimate with its interval: ``EUR 1.23M [850k, 1.6M]``; the value alone when the interval
    is unknown."""
    if not math.isfinite(value):
        return NOT_MEASURED
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{money(value, currency)} (interval unknown)"
    return f"{money(value, currency)} [{amount(low)}, {amount(high)}]"


def _figures(number: float) -> str:
    """Three significant figures without trailing zeros (1.2, 12.3, 123)."""
    text = f"{number:.3g}"
    return text if "e" not in text else f"{number:.0f}"
