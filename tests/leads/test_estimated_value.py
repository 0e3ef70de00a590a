"""A lead's estimated value: set by sales on the lead page, taken from each quote sent, kept
by a merge, summed on the overview for the open leads, and in the CSV export."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.leads import overview as lead_overview
from crm.leads.estimate import set_estimated_value
from crm.leads.merging import merge
from crm.leads.models import Activity, ActivityKind, LeadStatus
from crm.leads.operations import LeadConflict, LeadError
from crm.quotes import operations as quotes
from tests.conftest import error_summary
from tests.factories import make_user, quote_request, seed_catalog, submit
from tests.leads.test_lead_list import EXPORT, _csv, get
from tests.leads.test_lead_page import page_of, post

HOME = "/dashboard/"


@pytest.fixture
def lead(app):
    seed_catalog()
    return submit().lead


def value_notes(lead) -> list[str]:
    return db.session.scalars(select(Activity.body).where(
        Activity.lead_id == lead.id, Activity.kind == ActivityKind.VALUE)
        .order_by(Activity.id)).all()


def estimate(lead, actor, value, currency="USD"):
    set_estimated_value(db.session, lead=lead, actor=actor, value=value,
                                   currency=currency, expected_version=lead.version)
    db.session.commit()


def test_set_changed_and_cleared_each_on_the_timeline(lead):
    sales = make_user(role="sales")
    assert lead.estimated_value is None
    estimate(lead, sales, Decimal("12500"), "EUR")
    assert (lead.estimated_value, lead.estimated_currency) == (Decimal("12500.00"), "EUR")
    assert lead.updated_by_id == sales.id
    estimate(lead, sales, Decimal("14000.5"), "EUR")
    estimate(lead, sales, None)
    assert (lead.estimated_value, lead.estimated_currency) == (None, None)
    assert value_notes(lead) == ["Estimated value: 12,500.00 EUR",
                                 "Estimated value: 12,500.00 EUR → 14,000.50 EUR",
                                 "Estimated value cleared (was 14,000.50 EUR)"]


def test_saving_the_same_value_changes_nothing(lead):
    sales = make_user(role="sales")
    estimate(lead, sales, Decimal("900"))
    version = lead.version
    estimate(lead, sales, Decimal("900.00"))
    assert lead.version == version and len(value_notes(lead)) == 1


def test_a_stale_page_or_a_negative_value_is_refused(lead):
    sales = make_user(role="sales")
    with pytest.raises(LeadConflict):
        set_estimated_value(db.session, lead=lead, actor=sales, value=Decimal(1),
                                       currency="USD", expected_version=lead.version - 1)
    with pytest.raises(LeadError):
        set_estimated_value(db.session, lead=lead, actor=sales, value=Decimal(-1),
                                       currency="USD")
    with pytest.raises(LeadError):
        set_estimated_value(db.session, lead=lead, actor=sales, value=Decimal(1),
                                       currency="XXX")


def test_the_lead_page_shows_and_saves_it(client, auth, lead):
    auth.login("sales")
    field = re.search(r'<input[^>]*name="estimated_value"[^>]*>', page_of(client, lead))[0]
    assert 'type="text"' in field and 'inputmode="decimal"' in field  # sent as typed
    response = post(client, lead, "value", estimated_value="25000", currency="GBP")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The estimated value is saved." in page
    assert "25,000.00 GBP" in page
    assert lead.estimated_value == Decimal("25000.00")


@pytest.mark.parametrize(("typed", "message"), [
    ("lots", "Enter an amount, e.g. 25000 or 1250.50."),
    ("12,500", "Enter an amount, e.g. 25000 or 1250.50."),
    ("-5", "Enter an amount from 0 up to 999,999,999,999.99."),
    ("1.005", "Use at most 2 decimal places."),
])
def test_bad_amounts_are_explained_on_the_form(client, auth, lead, typed, message):
    auth.login("sales")
    response = client.post(f"/dashboard/leads/{lead.id}/value", data={
        "estimated_value": typed, "currency": "USD", "version": lead.version})
    assert response.status_code == 400
    assert message in error_summary(response.get_data(as_text=True))
    assert lead.estimated_value is None


def test_moderators_cannot_set_it(client, auth, lead):
    auth.login("moderator")
    response = client.post(f"/dashboard/leads/{lead.id}/value", data={
        "estimated_value": "5", "currency": "USD", "version": lead.version})
    assert response.status_code == 403 and lead.estimated_value is None


def test_a_quote_sent_becomes_the_estimate(lead):
    sales = make_user(role="sales")
    estimate(lead, sales, Decimal("1000"))
    quote, _ = quotes.draft_from_lead(db.session, lead=lead, actor=sales, currency="USD")
    quotes.send_quote(db.session, quote=quote, actor=sales)
    db.session.commit()
    assert quote.total > 0
    assert (lead.estimated_value, lead.estimated_currency) == (quote.total, "USD")
    assert value_notes(lead)[-1] == (f"Estimated value: 1,000.00 USD → {quote.total:,.2f} USD "
                                     f"(quote {quote.label})")


def test_a_merge_keeps_the_kept_lead_s_value_or_takes_the_other_s(lead):
    sales = make_user(role="sales")
    other = submit(quote_request(email="bo@other.example")).lead
    estimate(other, sales, Decimal("800"), "EUR")
    merge(db.session, source=other, target=lead, actor=None)
    db.session.commit()
    assert (lead.estimated_value, lead.estimated_currency) == (Decimal("800.00"), "EUR")
    third = submit(quote_request(email="cy@third.example")).lead
    estimate(third, sales, Decimal("5"), "USD")
    merge(db.session, source=third, target=lead, actor=None)
    db.session.commit()
    assert (lead.estimated_value, lead.estimated_currency) == (Decimal("800.00"), "EUR")


def test_the_overview_sums_the_open_leads_values_per_currency(client, auth, lead):
    sales = auth.login("sales")
    estimate(lead, sales, Decimal("1000"), "USD")
    for n, (value, currency, status) in enumerate([
            ("250.50", "USD", LeadStatus.QUALIFIED), ("700", "EUR", LeadStatus.NEW),
            ("99999", "USD", LeadStatus.LOST), ("5", "GBP", LeadStatus.WON)]):
        other = submit(quote_request(email=f"v{n}@value{n}.example")).lead
        estimate(other, sales, Decimal(value), currency)
        other.status = status
        db.session.commit()
    submit(quote_request(email="none@novalue.example"))  # open, with no value
    counts, summary = lead_overview.pipeline(db.session)
    assert counts[LeadStatus.NEW] == 3 and counts[LeadStatus.LOST] == 1
    assert summary.amounts == [("EUR", Decimal("700.00")), ("USD", Decimal("1250.50"))]
    assert (summary.valued, summary.open) == (3, 4)
    page = get(client, HOME)
    assert "1,250.50 USD" in page and "700.00 EUR" in page and "3 of 4 open leads valued" in page


def test_the_export_has_the_estimate(client, auth, lead):
    sales = auth.login("sales")
    estimate(lead, sales, Decimal("1234.5"), "EUR")
    header, row = _csv(client.get(EXPORT))
    assert row[header.index("Estimated value")] == "1234.50"
    assert row[header.index("Currency")] == "EUR"


def test_a_board_card_shows_the_estimate(client, auth, lead):
    sales = auth.login("sales")
    other = submit(quote_request(email="no@value.example")).lead
    estimate(lead, sales, Decimal("12500.40"), "EUR")
    page = get(client, "/dashboard/leads/board")
    card = page.split(lead.reference, 1)[1].split("</li>", 1)[0]
    assert "12,500 EUR" in card
    assert "Value" not in page.split(other.reference, 1)[1].split("</li>", 1)[0]
