"""A request the screen held as spam, released by sales ("Not spam"): routed, scored and
acknowledged as the intake would have done; and a lead marked spam by hand, put back."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.core.types import utcnow
from crm.extensions import db
from crm.intake import spam
from crm.leads import operations as leads
from crm.leads.models import Activity, ActivityKind, LeadStatus
from crm.leads.operations import LeadConflict, LeadError
from crm.notifications.models import OutboxEmail
from crm.quotes import operations as quotes
from tests.factories import make_user, quote_request, seed_catalog, submit

S = LeadStatus


@pytest.fixture
def catalog(app):
    seed_catalog()


def emails(lead) -> list[tuple[str, str]]:
    return sorted(db.session.execute(select(OutboxEmail.template, OutboxEmail.recipient)
                                     .where(OutboxEmail.related_id == lead.id)).all())


def test_a_request_held_as_spam_is_released_routed_scored_and_acknowledged(catalog):
    owner = make_user(role="sales", name="Olga Owner")
    inquiry = submit(seconds_to_fill=1.0)  # a browser's autofill beat the fill-time screen
    lead = inquiry.lead
    assert lead.status is S.SPAM and lead.owner_id is None and emails(lead) == []
    lead.first_response_due_at = utcnow() - timedelta(days=2)  # it sat in the spam list
    db.session.commit()
    checker = make_user(role="sales", name="Cleo Checker")

    spam.release(db.session, lead=lead, actor=checker, expected_version=lead.version)
    db.session.commit()

    assert lead.status is S.NEW and lead.owner_id == owner.id
    assert lead.score > 0 and "+15 business email" in lead.score_reasons
    assert lead.first_response_due_at > utcnow()  # the clock starts now, not at the post
    assert emails(lead) == [("inquiry_ack", inquiry.contact.email),
                            ("lead_alert", owner.email)]
    status = db.session.scalars(select(Activity).where(
        Activity.lead_id == lead.id, Activity.kind == ActivityKind.STATUS)).one()
    assert status.body == "Spam → New: not spam" and status.actor_id == checker.id
    assert status.detail == {"before": "spam", "after": "new"}


def test_only_a_spam_lead_is_released_and_a_stale_page_is_refused(catalog):
    make_user(role="sales")
    lead = submit(honeypot="http://bot.example").lead
    actor = make_user(role="sales")
    with pytest.raises(LeadConflict):
        spam.release(db.session, lead=lead, actor=actor, expected_version=lead.version - 1)
    spam.release(db.session, lead=lead, actor=actor, expected_version=lead.version)
    db.session.commit()
    with pytest.raises(LeadError, match="is not held as spam"):
        spam.release(db.session, lead=lead, actor=actor, expected_version=lead.version)
    assert len(emails(lead)) == 2  # once


def test_a_lead_marked_spam_by_hand_goes_back_where_it_was(catalog):
    """Its owner, its status and its quote come back; the customer is not acknowledged twice."""
    owner = make_user(role="sales")
    lead = submit().lead
    leads.change_status(db.session, lead=lead, status=S.CONTACTED, actor=owner)
    leads.change_status(db.session, lead=lead, status=S.QUALIFIED, actor=owner)
    quote, _ = quotes.draft_from_lead(db.session, lead=lead, actor=owner)
    db.session.commit()
    quotes.send_quote(db.session, quote=quote, actor=owner)
    leads.change_status(db.session, lead=lead, status=S.SPAM, actor=owner)
    db.session.commit()
    assert lead.status is S.SPAM and quote.lead_closed
    sent = emails(lead)

    spam.release(db.session, lead=lead, actor=owner, expected_version=lead.version)
    db.session.commit()
    db.session.refresh(quote)
    assert lead.status is S.QUOTED and lead.owner_id == owner.id
    assert not quote.lead_closed
    assert emails(lead) == sent


# --- over HTTP -------------------------------------------------------------------------------

def test_the_lead_page_offers_not_spam_to_sales_only_on_a_spam_lead(catalog, client, auth):
    make_user(role="sales")
    lead = submit(honeypot="http://bot.example").lead
    page = f"/dashboard/leads/{lead.id}"
    auth.login("sales")
    assert "Not spam" in client.get(page).get_data(as_text=True)
    response = client.post(f"{page}/not-spam", data={"version": lead.version},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert f"{lead.reference} is released from spam and is now new." in text
    assert lead.status is S.NEW and "Not spam" not in text
    auth.logout()
    auth.login("moderator")
    assert client.post(f"{page}/not-spam", data={"version": lead.version}).status_code in (403,
                                                                                          404)


def test_a_stale_release_gets_the_conflict_message(catalog, client, auth):
    make_user(role="sales")
    lead = submit(honeypot="http://bot.example").lead
    auth.login("sales")
    stale = lead.version
    leads.add_note(db.session, lead=lead, body="Looks real to me",
                   actor=make_user(role="sales", name="Nina Noter"))
    db.session.commit()
    assert lead.version != stale
    text = client.post(f"/dashboard/leads/{lead.id}/not-spam", data={"version": stale},
                       follow_redirects=True).get_data(as_text=True)
    assert "changed by Nina Noter" in text and lead.status is S.SPAM


def test_a_held_lead_someone_already_took_stays_theirs(catalog):
    make_user(role="sales")  # the round-robin's pick, were it asked
    lead = submit(honeypot="http://bot.example").lead
    taker = make_user(role="sales", name="Tess Taker")
    leads.assign(db.session, lead=lead, owner=taker, actor=taker)
    db.session.commit()
    spam.release(db.session, lead=lead, actor=taker, expected_version=lead.version)
    db.session.commit()
    assert lead.owner_id == taker.id
    assert ("lead_alert", taker.email) in emails(lead)


def test_a_released_request_joins_the_contact_s_open_lead_as_the_intake_would_have(catalog):
    owner = make_user(role="sales", name="Olga Owner")
    open_lead = submit(quote_request(email="ana@acme.example")).lead
    held = submit(quote_request(email="ana@acme.example"), seconds_to_fill=1.0)
    assert held.lead_id != open_lead.id and held.lead.status is S.SPAM
    db.session.query(OutboxEmail).delete()
    db.session.commit()

    joined = spam.release(db.session, lead=held.lead, actor=owner,
                          expected_version=held.lead.version)
    db.session.commit()
    assert joined.id == open_lead.id and held.lead_id == open_lead.id
    assert held.lead_id == open_lead.id
    assert emails(open_lead) == [("inquiry_ack", "ana@acme.example"),
                                 ("lead_alert", owner.email)]
    assert len(open_lead.inquiries) == 2


def test_the_page_says_where_a_released_request_went(catalog, client, auth):
    make_user(role="sales")
    open_lead = submit(quote_request(email="ana@acme.example")).lead
    held = submit(quote_request(email="ana@acme.example"), honeypot="x").lead
    auth.login("sales")
    text = client.post(f"/dashboard/leads/{held.id}/not-spam", data={"version": held.version},
                       follow_redirects=True).get_data(as_text=True)
    assert (f"{held.reference} is released from spam and joined {open_lead.reference}, "
            "the contact’s open lead.") in text


def typed(**fields):
    """A request from the known contact ana@acme.example, its details also as the form sent
    them (``submitted``, which a held request's release reads back)."""
    details = {"name": "Ana Formulator", "phone": "+1 555 0100", "job_title": "Product developer",
               "country": "US", **fields}
    return quote_request(email="ana@acme.example", **details,
                         submitted={key: [value] for key, value in details.items()})


def contact_notes(lead) -> list[str]:
    return db.session.scalars(select(Activity.body).where(
        Activity.lead_id == lead.id, Activity.kind == ActivityKind.CONTACT)
        .order_by(Activity.id)).all()


def test_a_released_request_from_a_known_contact_brings_the_details_it_typed(catalog):
    """Held, it changed nothing of the contact; released, it does as the intake would have,
    on the lead it lands on and in the list columns of the contact's other leads."""
    owner = make_user(role="sales")
    first = submit(typed()).lead
    leads.change_status(db.session, lead=first, status=S.LOST, actor=owner,
                        lost_reason="No budget")
    db.session.commit()
    held = submit(typed(name="Ana Kowalska", phone=" +48 22 555 0100 ", job_title=""),
                  seconds_to_fill=1.0)
    contact = held.contact
    assert held.lead.status is S.SPAM and contact.name == "Ana Formulator"
    version = first.version

    released = spam.release(db.session, lead=held.lead, actor=owner,
                            expected_version=held.lead.version)
    db.session.commit()

    assert (contact.name, contact.phone, contact.job_title) == (
        "Ana Kowalska", "+48 22 555 0100", "Product developer")  # an empty field takes nothing
    assert released.contact_name == "Ana Kowalska" and "ana kowalska" in released.search_text
    assert first.contact_name == "Ana Kowalska" and first.version == version + 1
    assert contact_notes(released) == [
        f"Details sent with {held.reference}: name “Ana Formulator” → “Ana Kowalska”; "
        "phone “+1 555 0100” → “+48 22 555 0100”"]


def test_a_released_request_does_not_undo_newer_details(catalog):
    """A request sent after the held one, or a correction by staff, said something newer:
    the held request's details are then only noted."""
    owner = make_user(role="sales")
    submit(typed())
    held = submit(typed(name="Ana Old-Name"), seconds_to_fill=1.0)
    later = submit(typed(name="Ana Newest")).lead
    contact = held.contact
    assert contact.name == "Ana Newest"

    spam.release(db.session, lead=held.lead, actor=owner, expected_version=held.lead.version)
    db.session.commit()

    assert contact.name == "Ana Newest" and later.contact_name == "Ana Newest"
    assert contact_notes(later)[-1] == (
        f"Details sent with {held.reference}, not taken (the contact's details have changed "
        "since): name “Ana Newest” → “Ana Old-Name”")


def test_a_released_request_that_made_its_contact_notes_nothing(catalog):
    """As at intake, where a new contact's details and company are simply taken."""
    make_user(role="sales")
    submit(typed())  # Acme Nutrition, with the domain acme.example
    held = submit(quote_request(email="bob@acme.example", company="Acme Labs",
                                submitted={"company": ["Acme Labs"], "name": ["Bob"]}),
                  seconds_to_fill=1.0)
    assert held.contact.company.name == "Acme Nutrition"
    lead = spam.release(db.session, lead=held.lead, actor=make_user(role="sales"),
                        expected_version=held.lead.version)
    db.session.commit()
    assert held.contact.name == "Ana Formulator" and contact_notes(lead) == []
