"""Today's date, pinned by `OPSBOOK_TODAY` (YYYY-MM-DD) for reproducible output and tests."""

from __future__ import annotations

import datetime as dt
import os


def today() -> dt.date:
    pinned = os.environ.get("OPSBOOK_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()
