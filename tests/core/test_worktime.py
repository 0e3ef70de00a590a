"""The working-time clock: hours counted on working days only (the first-response deadline)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm.core.worktime import add_working_hours, describe_working_hours, parse_working_days

MON_FRI = frozenset(range(5))
EVERY_DAY = frozenset(range(7))
UTC_ZONE = ZoneInfo("UTC")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the week of Monday 23 November 2026, in UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(("start", "hours", "due"), [
    (at(25, 9), 24, at(26, 9)),  # Wednesday → Thursday: no weekend in between
    (at(27, 18), 24, at(30, 18)),  # Friday evening → Monday evening, not Saturday
    (at(28, 10), 24, datetime(2026, 12, 1, tzinfo=UTC)),  # Saturday: from Monday 00:00
    (at(29, 23, 30), 2, at(30, 2)),  # Sunday night: the clock starts at midnight
    (at(27, 12), 60, datetime(2026, 12, 2, tzinfo=UTC)),  # Fri 12 h + Mon 24 h + Tue 24 h
    (at(23, 0), 0, at(23, 0)),
])
def test_hours_count_on_working_days_only(start, hours, due):
    assert add_working_hours(start, hours, MON_FRI, UTC_ZONE) == due


def test_every_day_working_is_plain_hours():
    start = at(27, 18, 17)
    assert add_working_hours(start, 24, EVERY_DAY, UTC_ZONE) == start + timedelta(hours=24)
    assert add_working_hours(start, 100, EVERY_DAY, UTC_ZONE) == start + timedelta(hours=100)


def test_days_are_the_sales_team_s_days_in_its_time_zone():
    """23:30 UTC on Friday is already Saturday in Paris: the clock waits for Monday there."""
    paris = ZoneInfo("Europe/Paris")
    due = add_working_hours(at(27, 23, 30), 24, MON_FRI, paris)
    assert due == datetime(2026, 11, 30, 23, tzinfo=UTC)  # Tuesday 00:00 in Paris
    assert due.tzinfo is UTC


def test_a_clock_across_a_daylight_saving_change_counts_real_hours():
    """New York leaves summer time on Sunday 1 November 2026: its Monday is 24 real hours."""
    new_york = ZoneInfo("America/New_York")
    friday_noon = datetime(2026, 10, 30, 16, tzinfo=UTC)  # 12:00 in New York (UTC-4)
    due = add_working_hours(friday_noon, 24, MON_FRI, new_york)
    # 12 h of Friday, then 12 h of Monday from its midnight, 05:00 UTC (UTC-5 by then)
    assert due == datetime(2026, 11, 2, 17, tzinfo=UTC)


@pytest.mark.parametrize(("text", "days"), [
    ("mon-fri", MON_FRI), ("Mon-Fri", MON_FRI), ("mon,tue, wed,thu,fri", MON_FRI),
    ("mon-sun", EVERY_DAY), ("mon-thu,sat", frozenset({0, 1, 2, 3, 5})),
    ("sun-thu", frozenset({6, 0, 1, 2, 3})),  # a range may wrap round the week's end
])
def test_working_days_are_read_from_day_names_and_ranges(text, days):
    assert parse_working_days(text) == days


@pytest.mark.parametrize("text", ["", "weekdays", "mon-", "monday", ",,", "mon-fri-sun"])
def test_unreadable_working_days_are_refused(text):
    with pytest.raises(ValueError):
        parse_working_days(text)


@pytest.mark.parametrize(("hours", "days", "said"), [
    (24, MON_FRI, "one working day"), (48, MON_FRI, "2 working days"),
    (4, MON_FRI, "4 working hours"), (1, MON_FRI, "one working hour"),
    (36, MON_FRI, "36 working hours"), (24, EVERY_DAY, "one day"), (8, EVERY_DAY, "8 hours"),
])
def test_the_response_time_is_said_as_customers_read_it(hours, days, said):
    assert describe_working_hours(hours, days) == said
