"""The deployment's wall clock. Stored timestamps are naive local time of `Settings.timezone`
(DESIGN.md principle 5), so "now" must be that zone's time, not the machine's (often UTC)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def local_now(timezone: str = "Asia/Shanghai") -> dt.datetime:
    """The current naive wall-clock time in `timezone`, to the second."""
    return dt.datetime.now(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)
