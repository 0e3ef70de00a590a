"""The intake pipeline: a quote request becomes an Inquiry on a scored, assigned Lead.

capture (the form) → screen → record → route → notify. One transaction: the caller commits,
and a failure at any step leaves nothing behind.
"""

import secrets
from collections.abc import Iterable

from sqlalchemy import bindparam, insert, select

from crm.articles.rendering import find_links
from crm.catalog.models import Ingredient
from crm.core.database import ROW_PARAMETERS
from crm.core.text import one_line
from crm.core.types import utcnow
from crm.core.urls import external_url
from crm.intake.lines import requested_line
from crm.intake.matching import Who, match_contact, open_lead_for
from crm.intake.requests import IntakeRejected, QuoteRequest
from crm.intake.scoring import score_inquiry
from crm.leads import operations as leads
from crm.leads.models import (
    ActivityKind,
    Contact,
    Inquiry,
    Lead,
    LeadStatus,
    RequestedIngredient,
)
from crm.leads.news import news_recipients
from crm.leads.summary import copy_who, refresh_summary, total_kg
from crm.notifications import notify_new

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
MAX_LINKS = 2


def new_reference() -> str:
    """A random ``INQ-XXXXXX``. Unique in the database: the rare draw already in use fails
    the insert, and the caller runs the intake again (see ``crm.intake.views._submit``)."""
    return "INQ-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


# The pipeline's statements, built once: building one (and its cache key) on every request
# cost more than running it.
_BY_SUBMISSION_KEY = select(Inquiry).where(Inquiry.submission_key == bindparam("key"))


def find_by_submission_key(session, key: str) -> Inquiry | None:
    return session.scalar(_BY_SUBMISSION_KEY, {"key": key})


def screen_request(request: QuoteRequest, *, honeypot: str, seconds_to_fill: float,
                   min_fill_seconds: float) -> tuple[int, list[str]]:
    reasons = []
    if honeypot:
        reasons.append("hidden honeypot field was filled in")
    if seconds_to_fill < min_fill_seconds:
        reasons.append(f"form sent {seconds_to_fill:.1f} s after it was served")
    links = len(find_links(request.message))
    if links > MAX_LINKS:
        reasons.append(f"{links} links in the message")
    return 10 * len(reasons), reasons


def submit_inquiry(
    session, *, request: QuoteRequest, submission_key: str, seconds_to_fill: float,
    honeypot: str, ip: str | None, user_agent: str | None, min_fill_seconds: float,
    catalog: Iterable[Ingredient] | None = None, new_key: bool = False,
) -> Inquiry:
    """Record a quote request, attach it to a lead, score, assign and queue both emails.

    A resent form (same ``submission_key``) returns the inquiry it created the first time.
    ``new_key``: the key was issued with the form and is most likely unused, so it is not
    looked up; a resent form then fails its unique index (an IntegrityError), and the
    caller runs the intake again without ``new_key``, which finds the first inquiry.
    ``catalog``: the active ingredients, when the caller loaded them already (the form does).
    """
    if not new_key:
        existing = find_by_submission_key(session, submission_key)
        if existing is not None:
            return existing
    if not request.consent:
        raise IntakeRejected("We need your consent to contact you about this request.")
    spam_score, spam_reasons = screen_request(request, honeypot=honeypot,
                                              seconds_to_fill=seconds_to_fill,
                                              min_fill_seconds=min_fill_seconds)
    slugs = {line.ingredient_slug for line in request.lines if line.ingredient_slug}
    if catalog is None:
        catalog = session.scalars(select(Ingredient).where(Ingredient.slug.in_(slugs),
                                                           Ingredient.active.is_(True)))
    active = {i.slug: i for i in catalog if i.slug in slugs and i.active}
    lines = [requested_line(request, line, n, active) for n, line in enumerate(request.lines)]
    if not lines:
        raise IntakeRejected("Add at least one ingredient.")

    # What the look-ups change (a known contact's details, a company's domain) is flushed
    # once, later.
    with session.no_autoflush:
        who = match_contact(session, request, update=not spam_reasons)
        contact, company = who.contact, who.company
        reference = new_reference()
        lead = None if spam_reasons or not who.known else open_lead_for(session, contact)
        is_new_lead = lead is None
        owner = None
        if is_new_lead and not spam_reasons:
            owner = leads.choose_owner(session, contact.country)
    now = utcnow()
    if is_new_lead:
        if spam_reasons:
            status, score, reasons = LeadStatus.SPAM, 0, []
            note, detail = "Held as spam: " + "; ".join(spam_reasons), {}
        else:
            status = LeadStatus.NEW
            score, reasons = score_inquiry(request, total_kg(lines))
            note, detail = f"Quote request {reference}", {"inquiry": reference}
        lead = leads.open_lead(session, reference=reference, contact=contact, company=company,
                               lines=lines, status=status, owner=owner, score=score,
                               score_reasons=reasons, created_at=now, note=note, **detail)
    inquiry = _record_inquiry(session, lead=lead, contact=contact, lines=lines, values={
        "reference": reference, "submitted": request.submitted,
        "company_type": request.company_type, "formulation_type": request.formulation_type,
        "dose_mg": request.dose_mg, "servings_per_unit": request.servings_per_unit,
        "units": request.units, "overage_pct": request.overage_pct,
        "target_market": request.target_market, "project_stage": request.project_stage,
        "target_launch": request.target_launch, "documents": request.documents,
        "sample_wanted": request.sample_wanted, "message": request.message.strip(),
        "source_page": request.source_page, "utm": request.utm, "consent_at": now, "ip": ip,
        "user_agent": one_line(user_agent, 300) or None, "spam_score": spam_score,
        "spam_reasons": spam_reasons, "submission_key": submission_key, "created_at": now,
    })
    if spam_reasons:
        return inquiry
    if not is_new_lead:
        refresh_summary(session, lead)  # first: its query would flush the lead's changes
        leads.touch(lead, None)  # changed by the customer, not by whoever saved it last
        score, reasons = score_inquiry(request, lead.total_kg)
        if score >= lead.score:  # as promising as its best request: "any news?" undoes nothing
            lead.score, lead.score_reasons = score, reasons
        leads.record_activity(session, lead=lead, kind=ActivityKind.INQUIRY,
                              body=f"New inquiry {reference}", inquiry=reference)
    if who.known:
        note_details(session, who, request, lead, reference)
    queue_emails(session, inquiry, lead, is_new_lead, lines)
    return inquiry


def note_details(session, who: Who, request: QuoteRequest, lead: Lead, reference: str) -> None:
    """A known contact's request: what it changed of their details, and a company named
    other than theirs, on the lead's timeline; their other leads show the new details."""
    notes = list(who.changes)
    given = request.company.strip()
    if given.lower() != who.company.name_key:
        notes.append(f"company given as “{given}”; the contact stays with “{who.company.name}”")
    if notes:
        leads.record_activity(session, lead=lead, kind=ActivityKind.CONTACT,
                              body=f"Details sent with {reference}: " + "; ".join(notes))
    if who.changes:
        for shown in session.scalars(select(Lead).where(Lead.contact_id == who.contact.id,
                                                        Lead.id != lead.id)):
            copy_who(shown)
            leads.touch(shown, None)


# An inquiry and its lines, written as the lead's: two statements, not the unit of work's
# flush, which cost more than running them. The lines are plain rows (ORM objects from a
# RETURNING cost more): the emails show them as ``requested_line`` made them.
_NEW_INQUIRY = insert(Inquiry).returning(Inquiry).execution_options(**ROW_PARAMETERS)
_NEW_LINES = insert(RequestedIngredient.__table__)
_LINE_COLUMNS = [column.key for column in RequestedIngredient.__table__.columns
                 if column.key not in ("id", "inquiry_id", "lead_id")]


def _record_inquiry(session, *, lead: Lead, contact: Contact,
                    lines: list[RequestedIngredient], values: dict) -> Inquiry:
    """The inquiry of ``values`` on ``lead``, with ``lines`` (new, from ``requested_line``)."""
    inquiry = session.scalar(_NEW_INQUIRY, {**values, "lead_id": lead.id,
                                            "contact_id": contact.id})
    session.execute(_NEW_LINES, [
        {**{column: getattr(line, column) for column in _LINE_COLUMNS},
         "inquiry_id": inquiry.id, "lead_id": lead.id} for line in lines])
    return inquiry


def queue_emails(session, inquiry: Inquiry, lead: Lead, is_new_lead: bool,
                 lines: list[RequestedIngredient] | None = None) -> None:
    """The acknowledgement to the submitter and the alert to the owner (or the sales team,
    when nobody active owns the lead; both, when the owner is away). ``lines``: the
    inquiry's, as the intake just recorded them (else they are loaded)."""
    recipients, away_owner = news_recipients(session, lead.owner)
    lines = inquiry.lines if lines is None else lines
    notify_new(session, [
        {"template": "inquiry_ack", "to": inquiry.contact.email, "related": lead,
         "key": f"inquiry-ack:{inquiry.id}", "context": {"inquiry": inquiry, "lines": lines}},
        *({"template": "lead_alert", "to": user.email, "related": lead,
           "key": f"lead-alert:{inquiry.id}:{user.id}",
           "context": {"inquiry": inquiry, "lines": lines, "lead": lead, "user": user,
                       "is_new_lead": is_new_lead,
                       "stand_in_for": away_owner if user is not away_owner else None,
                       "url": external_url(f"/dashboard/leads/{lead.id}")}}
          for user in recipients),
    ])
