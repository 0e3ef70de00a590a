"""Correcting who asked: a lead's contact and company, on every lead that shows them."""

from sqlalchemy import or_, select

from crm.leads.models import ActivityKind, Company, Contact, Lead
from crm.leads.operations import (
    LeadError,
    check_version,
    record_activity,
    touch,
)
from crm.leads.summary import copy_who


def update_contact(session, *, lead: Lead, actor, name: str, email: str, phone: str,
                   job_title: str, country: str | None, company_name: str,
                   company_type: str | None, move_company: bool = False,
                   expected_version=None) -> list[str]:
    """Correct who asked: the contact's details, their company's name and type. Every lead of
    that contact, and of that company, shows the correction (list columns, search). Returns
    what changed ("phone “…” → “…”"), on the timeline too; nothing changed saves nothing.
    The email is the contact's key (intake finds them by it): one another contact holds is
    refused (merge their leads instead). ``move_company``: ``company_name`` names the company
    the contact (and all their leads) move to, found by name or made, instead of renaming
    theirs; the company type is then that company's if it is made now, while a company found
    keeps its own (the form showed the former company's)."""
    check_version(lead, expected_version)
    contact, company = lead.contact, lead.company
    email = email.strip().lower()
    if email != contact.email and session.scalar(
            select(Contact.id).where(Contact.email == email)) is not None:
        raise LeadError("Another contact already has this email address; merge their lead "
                        "into this one instead.")
    if company is None:  # never from intake, which always names one; kept safe anyway
        company = lead.company = contact.company = Company(name="", name_key="")
    changes = []  # (the row changed, what changed)
    moved_to = None
    if move_company and company_name.strip().lower() != company.name_key:
        moved_to = _company_named(session, company_name.strip(), contact.country)
        changes.append((contact, f"moved from company “{company.name or '—'}” "
                                 f"to “{moved_to.name}”"))
        contact.company = company = moved_to
    wanted = [("name", contact, "name", name.strip()), ("email", contact, "email", email),
              ("phone", contact, "phone", phone.strip() or None),
              ("job title", contact, "job_title", job_title.strip() or None),
              ("country", contact, "country", country or None),
              ("company", company, "name", company.name if move_company else
               company_name.strip())]
    if moved_to is None or moved_to.id is None:
        wanted.append(("company type", company, "company_type", company_type or None))
    for label, row, attribute, value in wanted:
        before = getattr(row, attribute)
        if before != value:
            changes.append((row, f"{label} “{before or '—'}” → “{value or '—'}”"))
            setattr(row, attribute, value)
    if not changes:
        return []
    company.name_key = company.name.lower()
    # Every lead showing this contact or company is saved (its version moves on), even when
    # none of its list columns changed (a phone, a company type): a form still open on one
    # of them holds the old details, and saving it must be refused, not undo this correction.
    # Each has the correction on its timeline, as far as it shows it.
    with session.no_autoflush:  # each lead saved once, its list columns included
        showing = [Lead.contact_id == contact.id]
        if company.id is not None and any(row is company for row, _ in changes):
            showing.append(Lead.company_id == company.id)  # one just made has no lead yet
        for shown in session.scalars(select(Lead).where(or_(*showing))):
            if moved_to is not None and shown.contact_id == contact.id:
                shown.company = moved_to
            copy_who(shown)
            touch(shown, actor)
            if shown is lead:
                continue
            seen = [change for row, change in changes
                    if (row is contact and shown.contact_id == contact.id)
                    or (row is company and company.id is not None
                        and shown.company_id == company.id)]
            if seen:
                record_activity(session, lead=shown, kind=ActivityKind.CONTACT, actor=actor,
                                body=f"Contact details corrected on {lead.reference}: "
                                + "; ".join(seen), source_id=lead.id)
    record_activity(session, lead=lead, kind=ActivityKind.CONTACT, actor=actor,
                    body="Contact details corrected: " + "; ".join(c for _, c in changes))
    return [change for _, change in changes]


def _company_named(session, name: str, country: str | None) -> Company:
    """The company of that name (any case), else a new one (no domain: one is only ever
    learnt from an email, at intake)."""
    found = session.scalar(select(Company).where(Company.name_key == name.lower())
                           .order_by(Company.id).limit(1))
    if found is None:
        found = Company(name=name, name_key=name.lower(), country=country)
        session.add(found)
    return found
