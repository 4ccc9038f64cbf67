"""Response times of an incident, derived from its timestamps (never typed by hand)."""

from __future__ import annotations

import datetime as dt

DURATIONS = {
    "TTD": ("started", "detected", "time to detect: started → detected"),
    "TTA": ("detected", "acknowledged", "time to acknowledge: detected → acknowledged"),
    "TTM": ("started", "mitigated", "time to mitigate: started → mitigated"),
    "TTR": ("started", "resolved", "time to resolve: started → resolved"),
}


def minutes_sql() -> str:
    """SQL over `records` giving TTD, TTA, TTM and TTR in minutes: NULL when a timestamp is missing or the
    two are out of order."""
    return ", ".join(
        f"CASE WHEN {end}_at >= {start}_at THEN ({end}_at - {start}_at) / 60.0 END"
        for start, end, _ in DURATIONS.values()
    )


def as_durations(minutes: tuple[float | None, ...]) -> dict[str, dt.timedelta | None]:
    """The minutes of `minutes_sql`, by name, as time spans."""
    return {
        name: None if value is None else dt.timedelta(minutes=value)
        for name, value in zip(DURATIONS, minutes, strict=True)
    }


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


def format_minutes(value: float | None) -> str:
    return "—" if value is None else format_duration(dt.timedelta(minutes=value))
