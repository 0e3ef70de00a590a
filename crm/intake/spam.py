"""Overruling the spam screen: a lead held or marked as spam that a person says is real."""

from sqlalchemy import exists, or_, select

from crm.core.types import utcnow
from crm.intake.matching import Who, take_details
from crm.intake.operations import note_details, queue_emails
from crm.intake.requests import QuoteRequest
from crm.intake.scoring import score_inquiry
from crm.leads import operations as leads
from crm.leads.merging import merge
from crm.leads.models import OPEN_STATUSES, Activity, ActivityKind, Inquiry, Lead, LeadStatus
from crm.leads.summary import copy_who

S = LeadStatus


def release(session, *, lead: Lead, actor, expected_version: int | None) -> Lead:
    """"Not spam". A lead marked spam by hand goes back to the status it had. One the screen
    held at intake becomes new and gets what the intake would have given it: an owner
    (unless someone took it meanwhile: the territory rule, else the round-robin), a score, a
    first response due from now, and the two emails held back (the acknowledgement to its
    submitter, the alert to its owner); or, when its contact has an open lead, it joins that
    lead, as the intake would have attached it there. The contact details it typed, which the
    screen kept from a known contact's record, are taken as the intake takes them (see
    ``_take_held_details``). Returns the lead the request is on."""
    leads.check_version(lead, expected_version)
    if lead.status is not S.SPAM:
        raise leads.LeadError(f"{lead.reference} is not held as spam.")
    marked_from = _status_before_spam(session, lead)
    status = marked_from or S.NEW
    leads.set_status(session, lead, status)
    leads.touch(lead, actor)
    leads.record_activity(session, lead=lead, kind=ActivityKind.STATUS, actor=actor,
                          body=f"Spam → {status.label}: not spam", before=S.SPAM.value,
                          after=status.value)
    if marked_from is not None:
        return lead
    inquiry = session.scalars(select(Inquiry).where(Inquiry.lead_id == lead.id)
                              .order_by(Inquiry.created_at.desc(), Inquiry.id.desc())).first()
    joined = _other_open_lead(session, lead, inquiry.contact_id)
    _take_held_details(session, inquiry, joined or lead)
    if joined is not None:
        merge(session, source=lead, target=joined, actor=actor)
        score, reasons = score_inquiry(_as_request(inquiry), joined.total_kg)
        if score >= joined.score:
            joined.score, joined.score_reasons = score, reasons
        queue_emails(session, inquiry, joined, is_new_lead=False)
        return joined
    lead.score, lead.score_reasons = score_inquiry(_as_request(inquiry), lead.total_kg)
    lead.first_response_due_at = leads.first_response_due(utcnow())
    if not leads.can_own_leads(lead.owner):  # staff may have taken it while it was held
        leads.assign(session, lead=lead,
                     owner=leads.choose_owner(session, inquiry.contact.country), actor=None)
    session.flush()
    queue_emails(session, inquiry, lead, is_new_lead=True)
    return lead


def _take_held_details(session, inquiry: Inquiry, lead: Lead) -> None:
    """A held request changes no known contact (anyone can type a customer's address). Once
    it is released, the name, phone, job title and country it typed are taken as the intake
    takes a known contact's, and noted on ``lead``, the lead it lands on: unless something
    newer came about the contact meanwhile (a later request, a correction by staff), which
    the older request must not undo; it is then only noted. A contact the request itself
    made holds its details already."""
    contact = inquiry.contact
    earlier, later = (exists().where(Inquiry.contact_id == contact.id, condition)
                      for condition in (Inquiry.id < inquiry.id, Inquiry.id > inquiry.id))
    if not session.scalar(select(earlier)):
        return
    request = _typed_details(inquiry)
    corrected = exists().where(
        Activity.lead_id == Lead.id, Lead.contact_id == contact.id,
        Activity.kind == ActivityKind.CONTACT, Activity.created_at > inquiry.created_at)
    if session.scalar(select(or_(later, corrected))):
        differences = take_details(contact, request, apply=False)
        if differences:
            leads.record_activity(
                session, lead=lead, kind=ActivityKind.CONTACT,
                body=f"Details sent with {inquiry.reference}, not taken (the contact's details "
                     "have changed since): " + "; ".join(differences))
        return
    who = Who(contact, contact.company, known=True, changes=take_details(contact, request))
    if who.changes:
        copy_who(lead)
    note_details(session, who, request, lead, inquiry.reference)


def _typed_details(inquiry: Inquiry) -> QuoteRequest:
    """Who a request said they were, from its fields as sent, stripped as the form strips
    them; a field it left empty or did not send leaves the contact's value as it is."""
    contact, submitted = inquiry.contact, inquiry.submitted or {}

    def sent(name: str, current: str | None) -> str | None:
        values = submitted.get(name)
        return (str(values[0]).strip() if values else "") or current

    return QuoteRequest(
        company=sent("company", contact.company.name if contact.company else "") or "",
        name=sent("name", contact.name), email=contact.email,
        country=sent("country", contact.country) or "", consent=True,
        phone=sent("phone", contact.phone), job_title=sent("job_title", contact.job_title))


def _other_open_lead(session, lead: Lead, contact_id: int) -> Lead | None:
    """The contact's newest open lead besides ``lead``, found as the intake finds it."""
    return session.scalars(select(Lead).join(Inquiry, Inquiry.lead_id == Lead.id).where(
        Inquiry.contact_id == contact_id, Lead.id != lead.id, Lead.status.in_(OPEN_STATUSES),
        Lead.merged_into_id.is_(None)).order_by(Lead.created_at.desc()).limit(1)).first()


def _status_before_spam(session, lead: Lead) -> LeadStatus | None:
    """The status the lead was marked spam from, by hand; None when the screen held it."""
    for detail in session.scalars(select(Activity.detail).where(
            Activity.lead_id == lead.id, Activity.kind == ActivityKind.STATUS)
            .order_by(Activity.id.desc())):
        if detail.get("after") == S.SPAM.value:
            return S(detail["before"])
    return None


def _as_request(inquiry: Inquiry) -> QuoteRequest:
    """What scoring reads of a request, from the inquiry as stored and its contact."""
    contact = inquiry.contact
    return QuoteRequest(
        company="", name=contact.name, email=contact.email, country=contact.country or "",
        consent=True, phone=contact.phone, job_title=contact.job_title,
        company_type=inquiry.company_type, formulation_type=inquiry.formulation_type,
        servings_per_unit=inquiry.servings_per_unit, units=inquiry.units,
        target_market=inquiry.target_market, project_stage=inquiry.project_stage,
        target_launch=inquiry.target_launch, sample_wanted=inquiry.sample_wanted,
        message=inquiry.message)
