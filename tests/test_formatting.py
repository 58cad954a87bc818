"""Numbers are written the same way everywhere: command line, figures, report."""

import pytest

from probmodel import formatting


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.92e9, "$1.92B"),
        (412e6, "$412M"),
        (-5e5, "-$500k"),
        (0.0, "$0"),
        (None, "—"),
    ],
)
def test_fmt_usd(value, text):
    assert formatting.fmt_usd(value) == text


def test_other_formatters():
    assert formatting.fmt_years(4.2401) == "4.24 years"
    assert formatting.fmt_count(21219.4, "robot-years") == "21,219 robot-years"
    assert formatting.fmt_pct(0.3108) == "31%"
    assert formatting.fmt_pct(None) == "—"
    assert formatting.fmt_value("cost_total_usd", 2e9) == "$2B"
    assert formatting.fmt_value("years", 5.0) == "5 years"
    assert formatting.fmt_value("tokens_sim", 8.8e11) == "880B tokens"
