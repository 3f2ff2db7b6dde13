"""Money as every surface prints it: the currency code, three significant figures and a unit, never a bare
number; and the `[company] currency` setting that supplies the code."""

from __future__ import annotations

import math

import pytest

from cxgap.config import settings_from_dict
from cxgap.errors import ConfigError
from cxgap.report.money import amount, money, money_interval


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.0, "EUR 0"),
        (850.4, "EUR 850"),
        (999.6, "EUR 1k"),
        (1_234.0, "EUR 1.23k"),
        (12_345.0, "EUR 12.3k"),
        (123_456.0, "EUR 123k"),
        (999_999.0, "EUR 1M"),
        (1_234_000.0, "EUR 1.23M"),
        (2_500_000_000.0, "EUR 2.5bn"),
        (-40_000.0, "EUR -40k"),
    ],
)
def test_money_has_its_currency_and_three_figures(value: float, shown: str) -> None:
    assert money(value, "EUR") == shown


def test_an_interval_follows_the_value_and_unknowns_are_said() -> None:
    assert money_interval(1_200_000, 800_000, 1_600_000, "USD") == "USD 1.2M [800k, 1.6M]"
    assert money_interval(25_000, -3_000, 61_000, "GBP") == "GBP 25k [-3k, 61k]"
    assert money_interval(25_000, math.nan, math.nan, "GBP") == "GBP 25k (interval unknown)"
    assert money(math.nan, "EUR") == money_interval(math.nan, 1, 2, "EUR") == "not measured"
    assert amount(math.inf) == "not measured"


def test_the_company_currency_defaults_to_euros_and_is_checked() -> None:
    assert settings_from_dict({}).company.currency == "EUR"
    assert settings_from_dict({"company": {"currency": " usd "}}).company.currency == "USD"
    for wrong in ("euro", "€", 978, "E1R"):
        with pytest.raises(ConfigError, match="company.currency .* is not a three-letter currency code"):
            settings_from_dict({"company": {"currency": wrong}})
    with pytest.raises(ConfigError, match="unknown key 'company.symbol'"):
        settings_from_dict({"company": {"symbol": "$"}})
