"""A lead's estimated value: what the deal may be worth, set by sales or by a quote sent."""

from decimal import Decimal

from crm.leads.models import ActivityKind, Lead
from crm.leads.operations import LeadError, check_version, record_activity, touch
from crm.quotes.models import CURRENCIES

MAX_VALUE = Decimal("999999999999.99")  # what Numeric(14, 2) holds


def set_estimated_value(session, *, lead: Lead, value: Decimal | None, currency: str, actor,
                        expected_version=None, because: str = "") -> None:
    """What the deal may be worth (None clears it), on the timeline as a change from what it
    was; the same value again saves nothing. ``because`` says where a value came from (a
    quote sent)."""
    check_version(lead, expected_version)
    if value is not None and not Decimal(0) <= value <= MAX_VALUE:
        raise LeadError(f"An estimated value is from 0 up to {MAX_VALUE:,}.")
    if value is not None and currency not in CURRENCIES:
        raise LeadError(f"Choose one of {', '.join(CURRENCIES)}.")
    before = _amount(lead.estimated_value, lead.estimated_currency)
    if value is not None:
        value = value.quantize(Decimal("0.01"))
    after = _amount(value, currency if value is not None else None)
    if after == before:
        return
    lead.estimated_value = value
    lead.estimated_currency = currency if value is not None else None
    touch(lead, actor)
    if after is None:
        body = f"Estimated value cleared (was {before})"
    else:
        body = f"Estimated value: {before} → {after}" if before else f"Estimated value: {after}"
    record_activity(session, lead=lead, kind=ActivityKind.VALUE, actor=actor,
                    body=body + (f" ({because})" if because else ""))


def _amount(value: Decimal | None, currency: str | None) -> str | None:
    return None if value is None else f"{value:,.2f} {currency}"
