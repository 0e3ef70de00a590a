"""A contact's personal data, erased at their request (the privacy notice offers it): gone
from every record, while their leads, quotes and timelines stay."""

import html
import json

import pytest
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.leads import erasure
from crm.leads import operations as leads
from crm.leads.models import Activity, Inquiry, Lead
from crm.leads.operations import LeadConflict, LeadError
from crm.notifications import notify
from crm.notifications.models import EmailStatus, OutboxEmail
from crm.quotes import answers
from crm.quotes import operations as quotes
from tests.factories import make_user, quote_request, seed_catalog, submit

PERSONAL = ("Ana Kowalska", "ana.k@acme.example", "+48 22 555 0100")


@pytest.fixture
def ana(app):
    """Ana's two requests (a lead won by an accepted quote, then an open one), a note and an
    email from sales naming her, and her acknowledgement still waiting in the outbox."""
    seed_catalog()
    owner = make_user(role="sales", name="Olga Owner")
    typed = {"name": PERSONAL[0], "email": PERSONAL[1], "phone": PERSONAL[2],
             "job_title": "Head of R&D"}
    first = submit(quote_request(**typed, message="Call Ana Kowalska on +48 22 555 0100.",
                                 submitted={**{k: [v] for k, v in typed.items()},
                                            "company": ["Acme Nutrition"],
                                            "message": ["Call Ana Kowalska."]})).lead
    for status in ("contacted", "qualified"):
        leads.change_status(db.session, lead=first, status=leads.S(status), actor=owner)
    quote, _ = quotes.draft_from_lead(db.session, lead=first, actor=owner)
    db.session.commit()
    quotes.send_quote(db.session, quote=quote, actor=owner)
    answers.accept_quote(db.session, quote=quote, name="Ana Kowalska", ip="203.0.113.9")
    leads.add_note(db.session, lead=first, body="Ana Kowalska prefers calls.", actor=owner)
    db.session.execute(OutboxEmail.__table__.update().values(status=EmailStatus.SENT))
    db.session.commit()
    second = submit(quote_request(**typed)).lead
    assert second.id != first.id
    second.next_action_note = "Call Ana Kowalska back"
    quote.notes = "Prepared for Ana Kowalska."
    db.session.commit()
    return {"owner": owner, "first": first, "second": second, "quote": quote}


def everything_stored() -> str:
    """Every text column of the records that hold a contact's data, as one string."""
    rows = []
    for model in (Lead, Inquiry, Activity, OutboxEmail):
        for row in db.session.scalars(select(model)):
            rows.append(json.dumps({c.key: getattr(row, c.key)
                                    for c in model.__table__.columns}, default=str))
    quote = db.session.scalars(select(erasure.Quote)).all()
    rows += [f"{q.accepted_by_name} {q.accepted_ip} {q.decline_reason} {q.notes}" for q in quote]
    return "\n".join(rows)


def test_erasing_removes_the_contact_s_details_from_every_record(ana):
    admin = make_user(role="admin")
    first, second = ana["first"], ana["second"]
    contact = first.contact
    assert all(detail in everything_stored() for detail in PERSONAL)
    [pending] = db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.recipient == PERSONAL[1], OutboxEmail.status == EmailStatus.PENDING)).all()

    changed = erasure.erase_contact(db.session, lead=first, actor=admin,
                                    confirm_email=" ANA.K@acme.example ",
                                    expected_version=first.version)
    db.session.commit()

    assert changed == sorted([first.reference, second.reference])
    stored = everything_stored()
    for detail in (*PERSONAL, "203.0.113.9", "198.51.100.1", "pytest"):  # IP, browser too
        assert detail not in stored, detail
    assert (contact.name, contact.phone, contact.job_title) == ("Erased contact", None, None)
    assert contact.email == f"erased-{contact.id}@erased.invalid"
    assert first.contact_name == second.contact_name == "Erased contact"
    assert "ana kowalska" not in second.search_text
    inquiry = first.inquiries[0]
    assert inquiry.submitted["name"] == ["[erased]"] and inquiry.message == "[erased]"
    assert inquiry.submitted["company"] == ["Acme Nutrition"]  # a company is not a person
    assert first.company.name == "Acme Nutrition" and first.status is leads.S.WON
    assert ana["quote"].accepted_by_name == "[erased]" and ana["quote"].accepted_ip is None
    assert pending.status is EmailStatus.DEAD  # never sent to the address now gone
    assert db.session.scalar(select(Activity.body).where(
        Activity.lead_id == first.id).order_by(Activity.id.desc()).limit(1)) == (
        "The contact's personal data was erased, at their request.")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.erased"))
    assert event.actor_id == admin.id and event.object_id == contact.id


def test_a_new_request_from_the_same_address_is_a_new_contact(ana):
    erasure.erase_contact(db.session, lead=ana["first"], actor=make_user(role="admin"),
                          confirm_email=PERSONAL[1], expected_version=None)
    db.session.commit()
    inquiry = submit(quote_request(email=PERSONAL[1], name="Ana Kowalska"))
    assert inquiry.contact_id != ana["first"].contact_id
    assert inquiry.lead_id not in (ana["first"].id, ana["second"].id)


def test_erasing_needs_the_address_typed_again_and_a_current_page(ana):
    admin, first = make_user(role="admin"), ana["first"]
    with pytest.raises(LeadError, match="Type the contact's email address exactly"):
        erasure.erase_contact(db.session, lead=first, actor=admin,
                              confirm_email="ana@acme.example", expected_version=None)
    with pytest.raises(LeadConflict):
        erasure.erase_contact(db.session, lead=first, actor=admin, confirm_email=PERSONAL[1],
                              expected_version=first.version - 1)
    assert first.contact.name == PERSONAL[0]
    erasure.erase_contact(db.session, lead=first, actor=admin, confirm_email=PERSONAL[1],
                          expected_version=None)
    with pytest.raises(LeadError, match="already erased"):
        erasure.erase_contact(db.session, lead=first, actor=admin,
                              confirm_email=first.contact.email, expected_version=None)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_only_admins_see_and_use_the_erasure(ana, client, auth):
    first = ana["first"]
    auth.login(ana["owner"])
    page = text(client.get(f"/dashboard/leads/{first.id}"))
    assert "The contact's personal data" not in page
    response = client.post(f"/dashboard/leads/{first.id}/erase-contact", data={
        "version": first.version, "confirm_email": PERSONAL[1]})
    assert response.status_code == 403 and first.contact.name == PERSONAL[0]
    auth.logout()

    auth.login("admin")
    page = text(client.get(f"/dashboard/leads/{first.id}"))
    assert "Download their data" in page and "There is no undo." in page
    response = client.post(f"/dashboard/leads/{first.id}/erase-contact", data={
        "version": first.version, "confirm_email": "someone@else.example"})
    assert response.status_code == 400
    assert "Type the contact's email address exactly" in text(response)
    assert first.contact.name == PERSONAL[0]
    response = client.post(f"/dashboard/leads/{first.id}/erase-contact", data={
        "version": first.version, "confirm_email": ""})
    assert response.status_code == 400
    assert "Type the contact's email address to confirm." in text(response)

    response = client.post(f"/dashboard/leads/{first.id}/erase-contact", data={
        "version": first.version, "confirm_email": PERSONAL[1]}, follow_redirects=True)
    page = text(response)
    assert "The contact's personal data is erased" in page
    assert PERSONAL[0] not in page and PERSONAL[1] not in page and "Already erased." in page
    assert "Email the contact" not in page  # no address is left to write to


def test_a_stale_erasure_is_refused_with_who_changed_the_lead(ana, client, auth):
    first = ana["first"]
    version = first.version
    leads.add_note(db.session, lead=first, body="Another note.", actor=ana["owner"])
    leads.touch(first, ana["owner"])
    db.session.commit()
    auth.login("admin")
    response = client.post(f"/dashboard/leads/{first.id}/erase-contact", data={
        "version": version, "confirm_email": PERSONAL[1]})
    assert response.status_code == 409
    assert "changed by Olga Owner" in text(response)
    assert first.contact.name == PERSONAL[0]


def test_their_article_comments_stay_as_anonymous(ana, client):
    """As WordPress erases a commenter: the words stay (replies hang from them), the person
    goes, from the public thread too."""
    from tests.factories import make_article, make_comment

    article = make_article()
    theirs = make_comment(article, author_name="Ana K. from Acme",
                          author_email="ANA.K@acme.example", author_url="https://ana.example",
                          notify_replies=True)
    other = make_comment(article, author_name="Rita Reader")
    assert "Ana K. from Acme" in client.get(f"/articles/{article.slug}").get_data(as_text=True)
    notify(db.session, template="comment_held", to="mod@example.com", related=theirs,
           key="held-theirs", context={"comment": theirs, "moderator": ana["owner"],
                                       "queue_url": "https://crm.example.test/x"})
    db.session.commit()
    held = db.session.scalar(select(OutboxEmail).where(
        OutboxEmail.idempotency_key == "held-theirs"))
    assert "Ana K. from Acme" in held.body_text

    erasure.erase_contact(db.session, lead=ana["first"], actor=make_user(role="admin"),
                          confirm_email=PERSONAL[1], expected_version=None)
    db.session.commit()

    assert (theirs.author_name, theirs.author_url, theirs.ip, theirs.user_agent) == (
        "Anonymous", None, None, None)
    assert theirs.author_email.endswith("@erased.invalid") and not theirs.notify_replies
    assert other.author_name == "Rita Reader" and other.ip == "192.0.2.10"
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "Ana K. from Acme" not in page and "Anonymous" in page and theirs.body in page
    assert "Ana K. from Acme" not in held.body_text and "ana.example" not in held.body_text


def test_an_admin_downloads_everything_held_about_the_contact(ana, client, auth):
    """What the privacy notice offers to show: one file, for the admin to send them."""
    from tests.factories import make_comment

    make_comment(author_name="Ana Kowalska", author_email=PERSONAL[1], body="Nice article.")
    first = ana["first"]
    auth.login(ana["owner"])
    assert client.post(f"/dashboard/leads/{first.id}/contact-data").status_code == 403
    auth.logout()
    admin = auth.login("admin")
    response = client.post(f"/dashboard/leads/{first.id}/contact-data")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["contact"]["email"] == PERSONAL[1] and data["contact"]["phone"] == PERSONAL[2]
    assert data["company"]["name"] == "Acme Nutrition"
    assert [r["reference"] for r in data["requests"]] == [
        first.reference, ana["second"].reference]
    assert data["requests"][0]["fields_as_sent"]["message"] == ["Call Ana Kowalska."]
    assert data["requests"][0]["ip_address"] == "198.51.100.1"
    timeline = [entry["text"] for entry in data["leads"][0]["timeline"]]
    assert "Ana Kowalska prefers calls." in timeline  # staff notes about them are theirs too
    [quote] = data["quotes"]
    assert quote["accepted_by"] == "Ana Kowalska" and quote["total"] == str(ana["quote"].total)
    assert {email["subject"] for email in data["emails_to_them"]} >= {
        f"We have your quote request {first.reference}"}
    assert [c["text"] for c in data["article_comments"]] == ["Nice article."]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.exported"))
    assert event.actor_id == admin.id and event.object_id == first.contact_id


def test_nobody_writes_to_an_erased_contact(ana):
    """No address is left: an email or a quote to them is refused, not queued to bounce."""
    from crm.quotes.operations import QuoteError

    first, owner = ana["first"], ana["owner"]
    open_lead = ana["second"]
    draft, _ = quotes.draft_from_lead(db.session, lead=open_lead, actor=owner)
    db.session.commit()
    erasure.erase_contact(db.session, lead=first, actor=make_user(role="admin"),
                          confirm_email=PERSONAL[1], expected_version=None)
    db.session.commit()
    with pytest.raises(LeadError, match="personal data was erased"):
        leads.email_contact(db.session, lead=open_lead, subject="Hello", body="Still there?",
                            actor=owner)
    with pytest.raises(QuoteError, match="personal data was erased"):
        quotes.send_quote(db.session, quote=draft, actor=owner)
