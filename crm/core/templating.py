"""Jinja filters shared by every template."""

from datetime import datetime
from decimal import Decimal

from flask import current_app

from crm.core.worktime import describe_working_hours


def format_number(value) -> str:
    """``Decimal("10000.000")`` → ``"10,000"``; ``Decimal("12.50")`` → ``"12.5"``: every
    digit that counts, none that does not (kilograms, pack sizes)."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{Decimal(value).normalize():,f}"


def format_date(value: datetime | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def format_datetime(value: datetime | None) -> str:
    return value.strftime("%-d %b %Y %H:%M UTC") if value else ""


def format_duration(seconds: int | float | None) -> str:
    """``75`` → ``"2 minutes"``: a wait said the way a person says it."""
    seconds = int(seconds or 0)
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = -(-minutes // 60)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def register_filters(app) -> None:
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_duration, "duration")
    app.add_template_global(_response_time, "response_time")


def _response_time() -> str:
    """The first-response time promised to customers, as configured: "one working day"."""
    config = current_app.config
    return describe_working_hours(config["CRM_FIRST_RESPONSE_HOURS"], config["CRM_WORKING_DAYS"])
