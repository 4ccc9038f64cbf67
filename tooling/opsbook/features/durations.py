"""Response times of an incident, derived from its timestamps (never typed by hand)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

DURATIONS = {
    "TTD": ("started", "detected", "time to detect: started → detected"),
    "TTA": ("detected", "acknowledged", "time to acknowledge: detected → acknowledged"),
    "TTM": ("started", "mitigated", "time to mitigate: started → mitigated"),
    "TTR": ("started", "resolved", "time to resolve: started → resolved"),
}


def durations(timestamps: Mapping[str, dt.datetime | None]) -> dict[str, dt.timedelta | None]:
    """TTD/TTA/TTM/TTR; None when a timestamp is missing or out of order."""
    result: dict[str, dt.timedelta | None] = {}
    for name, (start_field, end_field, _) in DURATIONS.items():
        start, end = timestamps.get(start_field), timestamps.get(end_field)
        result[name] = end - start if start is not None and end is not None and end >= start else None
    return result


def format_duration(value: dt.timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"
