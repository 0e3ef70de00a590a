"""Erasing a contact's personal data when they ask (the privacy notice offers it).

What identifies them goes from every record that holds it: the contact, the inquiries they
sent (fields as sent, message, IP address, browser), their details in the timelines and emails
of their leads, and the name typed to accept a quote. The leads, quotes and timelines stay, as
records of the business done, and the company stays: it is not a person. Their article comments
stay too, as "Anonymous" (as WordPress erases a commenter).
"""

from sqlalchemy import or_, select

from crm.articles.models import Comment
from crm.articles.moderation import anonymise_comments_by, comments_by
from crm.audit.operations import record_event
from crm.core.privacy import ERASED, erased_address, scrubber
from crm.leads.models import Activity, ActivityKind, Inquiry, Lead
from crm.leads.operations import LeadError, check_version, record_activity, touch
from crm.leads.summary import copy_who
from crm.notifications.operations import erase_from_emails
from crm.quotes.models import Quote

ERASED_NAME = "Erased contact"
# The fields of the quote-request form that say who sent it, or may (the message).
PERSONAL_FIELDS = {"name", "email", "phone", "job_title", "message"}


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
    signed = comments_by(session, contact.email)  # their comments may give another name
    scrub = scrubber([contact.name, contact.email, contact.phone,
                      *(c[key] for c in signed for key in ("name", "website"))])
    old_email = contact.email
    contact.name, contact.email = ERASED_NAME, erased_address(f"erased-{contact.id}")
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
    comments = anonymise_comments_by(session, old_email, erased_email=contact.email)
    erase_from_emails(session, scrub, address=old_email, new_address=contact.email, about={
        Lead.__tablename__: list(lead_ids), Quote.__tablename__: [q.id for q in quotes],
        Comment.__tablename__: comments})

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
                 comments=len(comments))
    return references
