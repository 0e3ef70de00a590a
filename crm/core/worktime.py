"""Working time: hours counted on working days only, as a response-time clock counts them.

A working day counts from midnight to midnight in the team's time zone; time on other days
does not count, so a request sent on Friday evening is not overdue on Saturday.
"""

from collections.abc import Collection
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_working_days(text: str) -> frozenset[int]:
    """``"mon-fri"``, ``"sun-thu"`` (a range may wrap round), ``"mon,wed,fri"``, or a mix:
    the weekday numbers (Monday 0). ValueError when a part names no day."""
    days = set()
    for part in text.lower().replace(" ", "").split(","):
        if not part:
            continue
        first, dash, last = part.partition("-")
        if first not in DAY_NAMES or (dash and last not in DAY_NAMES):
            raise ValueError(f"{part!r} is not a day (mon … sun) or a range of days")
        start = DAY_NAMES.index(first)
        length = (DAY_NAMES.index(last) - start) % 7 if dash else 0
        days.update((start + n) % 7 for n in range(length + 1))
    if not days:
        raise ValueError("no working day given")
    return frozenset(days)


def add_working_hours(start: datetime, hours: float, working_days: Collection[int],
                      zone: ZoneInfo) -> datetime:
    """``start`` plus ``hours`` counted on ``working_days`` (of ``zone``) only, in UTC. A clock
    started on another day starts at the next working day's midnight. Real hours: a day on
    which the clocks change counts 23 or 25."""
    if not working_days:
        raise ValueError("no working day given")
    remaining = timedelta(hours=hours)
    moment = start.astimezone(UTC)
    while True:
        day = moment.astimezone(zone).date()
        day_ends = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
        if day.weekday() in working_days:
            if moment + remaining <= day_ends:
                return moment + remaining
            remaining -= day_ends - moment
        moment = day_ends


def is_working_day(moment: datetime, working_days: Collection[int], zone: ZoneInfo) -> bool:
    return moment.astimezone(zone).weekday() in working_days


def describe_working_hours(hours: int, working_days: Collection[int]) -> str:
    """``"one working day"``, ``"2 working days"``, ``"4 working hours"`` (``"24 hours"``
    when every day is a working day): a response time as the customer reads it."""
    working = "working " if len(working_days) < 7 else ""
    if hours and hours % 24 == 0:
        days = hours // 24
        return f"one {working}day" if days == 1 else f"{days} {working}days"
    return f"one {working}hour" if hours == 1 else f"{hours} {working}hours"
