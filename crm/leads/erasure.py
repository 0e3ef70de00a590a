"""Erasing a contact's personal data when they ask (the privacy notice offers it).

What identifies them goes from every record that holds it: the contact, the inquiries they
sent (fields as sent, message, IP address, browser), their details in the timelines and emails
of their leads, and the name typed to accept a quote. The leads, quotes and timelines stay, as
records of the business done, and the company stays: it is not a person. Their article comments stay
too, as "Anonymous" (as WordPress erases a commenter).
"""

import re

from markupsafe import escape
from sqlalchemy import or_, select

from crm.articles.moderation import anonymise_comments_by
from crm.audit.operations import record_event
from crm.leads.models import ERASED_DOMAIN, Activity, ActivityKind, Inquiry, Lead
from crm.leads.operations import LeadError, check_version, record_activity, touch
from crm.leads.summary import copy_who
from crm.notifications.models import EmailStatus, OutboxEmail
from crm.quotes.models import Quote

ERASED = "[erased]"
ERASED_NAME = "Erased contact"
# The fields of the quote-request form that say who sent it, or may (the message).
PERSONAL_FIELDS = {"name", "email", "phone", "job_title", "message"}
SHORTEST = 3  # a detail shorter than this is not looked for in free text


def erase_contact(session, *, lead: Lead, actor, confirm_email: str,
                  expected_version: int | None) -> list[str]:
    """Erase the personal data of ``lead``'s contact, everywhere. ``confirm_email``: the
    contact's address, typed again (there is no undo). Returns the references of the leads
    whose records changed; each has the erasure on its timeline."""
    check_version(lead, expected_version)
    contact = lead.contact
    if contact.erased:
        raise LeadError("This contact's personal data is already erased.")
    if confirm_email.strip().lower() != contact.email:
        raise LeadError("Type the contact's email address exactly as shown, to confirm.")
    scrub = _scrubber([contact.name, contact.email, contact.phone])
    old_email = contact.email
    contact.name, contact.email = ERASED_NAME, f"erased-{contact.id}@{ERASED_DOMAIN}"
    contact.phone = contact.job_title = None

    inquiries = session.scalars(select(Inquiry).where(Inquiry.contact_id == contact.id)).all()
    for inquiry in inquiries:
        inquiry.submitted = {key: [ERASED] if key in PERSONAL_FIELDS else scrub(values)
                             for key, values in (inquiry.submitted or {}).items()}
        inquiry.message = ERASED if inquiry.message else ""
        inquiry.ip = inquiry.user_agent = None
    lead_ids = {inquiry.lead_id for inquiry in inquiries}
    leads = session.scalars(select(Lead).where(or_(Lead.contact_id == contact.id,
                                                   Lead.id.in_(lead_ids)))).all()
    lead_ids |= {shown.id for shown in leads}
    for activity in session.scalars(select(Activity).where(Activity.lead_id.in_(lead_ids))):
        activity.body, activity.detail = scrub(activity.body), scrub(activity.detail)
    quotes = session.scalars(select(Quote).where(Quote.lead_id.in_(lead_ids))).all()
    for quote in quotes:
        if quote.accepted_by_name:
            quote.accepted_by_name = ERASED
        quote.accepted_ip = None
        quote.decline_reason, quote.notes = scrub(quote.decline_reason), scrub(quote.notes)
    _scrub_emails(session, scrub, old_email, contact.email, lead_ids, [q.id for q in quotes])
    comments = anonymise_comments_by(session, old_email, erased_email=contact.email)

    for shown in leads:
        shown.next_action_note = scrub(shown.next_action_note)
        shown.lost_reason = scrub(shown.lost_reason)
        if shown.contact_id == contact.id:
            copy_who(shown)
        touch(shown, actor)
        record_activity(session, lead=shown, kind=ActivityKind.CONTACT, actor=actor,
                        body="The contact's personal data was erased, at their request.")
    references = sorted(shown.reference for shown in leads)
    record_event(session, actor=actor, action="contact.erased", obj=contact, leads=references,
                 comments=comments)
    return references


def _scrub_emails(session, scrub, old_email: str, new_email: str, lead_ids: set[int],
                  quote_ids: list[int]) -> None:
    """The emails about those leads and quotes, and any to the contact: their details blanked
    out; one to the contact not sent yet is not sent at all."""
    about = [OutboxEmail.recipient == old_email,
             (OutboxEmail.related_type == Lead.__tablename__)
             & OutboxEmail.related_id.in_(lead_ids)]
    if quote_ids:
        about.append((OutboxEmail.related_type == Quote.__tablename__)
                     & OutboxEmail.related_id.in_(quote_ids))
    for email in session.scalars(select(OutboxEmail).where(or_(*about))):
        email.subject, email.body_text = scrub(email.subject), scrub(email.body_text)
        email.body_html, email.headers = scrub(email.body_html), scrub(email.headers)
        if email.recipient == old_email:
            email.recipient = new_email
            if email.status in (EmailStatus.PENDING, EmailStatus.SENDING):
                email.status, email.last_error = EmailStatus.DEAD, "Not sent: erased."


def _scrubber(details: list[str | None]):
    """A function that blanks ``details`` out of text (as written, and HTML-escaped), in any
    case, as whole words; and out of the strings inside lists and dicts."""
    words = {form for detail in details if detail and len(detail.strip()) >= SHORTEST
             for form in (detail.strip(), str(escape(detail.strip())))}
    if not words:
        return lambda value: value
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(word)}(?!\w)"
                                  for word in sorted(words, key=len, reverse=True)), re.I)

    def scrub(value):
        if isinstance(value, str):
            return pattern.sub(ERASED, value)
        if isinstance(value, list):
            return [scrub(item) for item in value]
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        return value

    return scrub
