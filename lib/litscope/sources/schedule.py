"""arXiv's announcement calendar: when what it serves can change.

arXiv announces new submissions Sunday to Thursday at 20:00 US Eastern; the search API
and OAI-PMH show them from then on. The listing feeds are rebuilt at midnight Eastern,
Monday to Friday, each listing the announcement of the evening before. Between two such
moments nothing a fetch asks for can have changed, so a fetch checked since the last one
need not ask again. Holidays without an announcement only cost a needless request.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
#: weekday numbers (Monday 0) and the Eastern time of each kind of update
ANNOUNCEMENTS = (frozenset({6, 0, 1, 2, 3}), time(20, 0))
FEED_UPDATES = (frozenset({0, 1, 2, 3, 4}), time(0, 0))


def last_update(now: datetime, schedule: tuple[frozenset[int], time] = ANNOUNCEMENTS) -> datetime:
    """The latest moment of `schedule` at or before `now` (a UTC datetime)."""
    weekdays, at = schedule
    local = now.astimezone(EASTERN)
    for back in range(8):
        day = local.date() - timedelta(days=back)
        moment = datetime.combine(day, at, EASTERN)
        if day.weekday() in weekdays and moment <= local:
            return moment.astimezone(timezone.utc)
    raise AssertionError("every week has an update")


def changed_since(checked_at: datetime, now: datetime, lag: timedelta,
                  schedule: tuple[frozenset[int], time] = ANNOUNCEMENTS) -> bool:
    """Whether arXiv may have changed what was checked at `checked_at`: an update of
    `schedule` happened after it (or less than `lag` before it, while arXiv was still
    publishing that update)."""
    return checked_at < last_update(now, schedule) + lag


def feed_day(now: datetime) -> date:
    """The date the listing feed carries at `now`: that of its last rebuild, in Eastern time."""
    return last_update(now, FEED_UPDATES).astimezone(EASTERN).date()
