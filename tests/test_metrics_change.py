"""The metrics page's change against the previous 30 days reads without colour: a sign and a word."""

from __future__ import annotations

import pytest

from opsbook.features.stats import PeriodMeasure
from opsbook.site.render.pages import period_change


@pytest.mark.parametrize(
    ("current", "previous", "unit", "expected"),
    [
        (3, 1, "count", "+2 (more)"),
        (1, 4, "count", "\u22123 (fewer)"),
        (2, 2, "count", "±0 (same)"),
        (150.0, 30.0, "minutes", "+2 h 00 min (slower)"),
        (20.0, 55.0, "minutes", "\u221235 min (faster)"),
        (None, 30.0, "minutes", "— (nothing to compare)"),
        (30.0, None, "minutes", "— (nothing to compare)"),
    ],
)
def test_change_has_a_sign_and_a_word(current: float | None, previous: float | None, unit: str, expected: str) -> None:
    assert period_change(PeriodMeasure("m", current, previous, unit)) == expected
