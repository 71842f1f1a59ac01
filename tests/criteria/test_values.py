"""``money``: an amount the agent wrote, read back as the answer is kept."""

from decimal import Decimal

import pytest

from workgym.criteria import money


@pytest.mark.parametrize(("written", "read"), [
    ("1,234.50", "1234.50"), ("EUR 12", "12.00"), ("12 €", "12.00"), (" 7.5 ", "7.50"),
    (12, "12.00"), (Decimal("3.10"), "3.10"), (0.25, "0.25"), ("-0.00", "0.00"),
    ("-40.05", "-40.05"),
])
def test_amounts_read_as_two_decimal_text(written, read):
    assert money(written) == read


@pytest.mark.parametrize("written", [
    None, True, "", "twelve", "12.345", "NaN", "inf", "1e13", "9" * 40, "12.5.1", [12],
])
def test_what_is_not_an_amount_raises(written):
    with pytest.raises(ValueError):
        money(written)
