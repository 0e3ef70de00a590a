"""The intake's match step: who sent a quote request (their contact, by email) and which
company they belong to (by email domain unless free-mail, else by name), and their open lead."""

from dataclasses import dataclass, field

from sqlalchemy import bindparam, case, func, insert, or_, select

from crm.core.database import ROW_PARAMETERS, insert_or_get, of_dialect, per_dialect
from crm.intake.freemail import email_domain, is_free_mail
from crm.intake.requests import QuoteRequest
from crm.leads.models import OPEN_STATUSES, Company, Contact, Inquiry, Lead

_domain, _name_key = bindparam("domain"), bindparam("name_key")
_COMPANY_BY_DOMAIN_OR_NAME = select(Company).where(
    or_(Company.domain == _domain, Company.name_key == _name_key),
).order_by(case((Company.domain == _domain, 0), else_=1), Company.id).limit(1)
_COMPANY_BY_NAME = select(Company).where(Company.name_key == _name_key).order_by(
    Company.id).limit(1)
_NEW_COMPANY = insert(Company).returning(Company).execution_options(**ROW_PARAMETERS)


def match_company(session, request: QuoteRequest, *, update: bool = True) -> Company:
    """The company by email domain unless free-mail, else by name (one look-up for both,
    the domain's company first); created when missing. ``update``: a company found by name
    takes the domain (False for spam, which changes no existing row)."""
    email = request.email.strip().lower()
    domain = None if is_free_mail(email) else email_domain(email)
    name = request.company.strip()
    details = {"name": name, "name_key": name.lower(), "country": request.country,
               "company_type": request.company_type}
    company = session.scalar(_COMPANY_BY_DOMAIN_OR_NAME if domain else _COMPANY_BY_NAME,
                             {"domain": domain, "name_key": details["name_key"]})
    if company is None and domain:
        return insert_or_get(session, Company, unique={"domain": domain}, values=details)
    if company is None:
        return session.scalar(_NEW_COMPANY, {"domain": None, **details})
    if update and domain and company.domain is None:
        company.domain = domain  # its people wrote from free-mail until now
    return company


def _contact_upsert(insert):
    stmt = insert(Contact)
    return stmt.on_conflict_do_update(index_elements=["email"], set_={
        "name": stmt.excluded.name, "country": stmt.excluded.country,
        "phone": func.coalesce(stmt.excluded.phone, Contact.phone),
        "job_title": func.coalesce(stmt.excluded.job_title, Contact.job_title),
    }).returning(Contact).execution_options(populate_existing=True, **ROW_PARAMETERS)


_CONTACT_UPSERT = per_dialect(_contact_upsert)
# The company read in the same statement (a join, not a relationship's eager load, which would
# configure the mappers when this module is imported).
_CONTACT_BY_EMAIL = select(Contact, Company).outerjoin(
    Company, Company.id == Contact.company_id).where(Contact.email == bindparam("email"))


@dataclass
class Who:
    """Who sent a request: their contact and company, and whether they had written before
    (with what their request changed of their details, for the timeline)."""

    contact: Contact
    company: Company
    known: bool
    changes: list[str] = field(default_factory=list)


def match_contact(session, request: QuoteRequest, *, update: bool = True) -> Who:
    """The contact by email (case-insensitive). A known contact stays with their company
    (staff may have moved them) and takes the request's name and country, and its phone and
    job title when given. A new one joins ``match_company``'s company; the insert is an
    upsert, for a twin request that made them meanwhile. ``update=False`` (spam: anyone can
    type a customer's address) changes no existing row."""
    email = request.email.strip().lower()
    contact, company = session.execute(_CONTACT_BY_EMAIL, {"email": email}).first() or (
        None, None)
    if company is not None:
        return Who(contact, company, known=True,
                   changes=take_details(contact, request) if update else [])
    company = match_company(session, request, update=update)
    if contact is not None:  # never from intake, which always names one; kept safe anyway
        contact.company = company
        return Who(contact, company, known=True)
    values = {"name": request.name.strip(), "phone": request.phone or None,
              "job_title": request.job_title or None, "country": request.country,
              "company_id": company.id}
    if not update:
        contact = insert_or_get(session, Contact, unique={"email": email}, values=values)
    else:
        contact = session.scalar(of_dialect(session, _CONTACT_UPSERT), {"email": email, **values})
    return Who(contact, company, known=False)


def take_details(contact: Contact, request: QuoteRequest, *, apply: bool = True) -> list[str]:
    """Bring a known contact up to date with their request; what changed, as staff read it.
    ``apply=False``: only what would change."""
    wanted = [("name", "name", request.name.strip()),
              ("phone", "phone", request.phone or contact.phone),
              ("job title", "job_title", request.job_title or contact.job_title),
              ("country", "country", request.country)]
    changes = []
    for label, attribute, value in wanted:
        before = getattr(contact, attribute)
        if value != before:
            changes.append(f"{label} “{before or '—'}” → “{value or '—'}”")
            if apply:
                setattr(contact, attribute, value)
    return changes


# Through the contact's inquiries, which a merge moves: every lead holds its own contact's
# first inquiry. The join reads them by the contact's index, then each lead by its id (an OR
# with ``Lead.contact_id`` had SQLite walk every open lead instead).
_OPEN_LEAD = select(Lead).join(Inquiry, Inquiry.lead_id == Lead.id).where(
    Inquiry.contact_id == bindparam("contact_id"), Lead.status.in_(OPEN_STATUSES),
    Lead.merged_into_id.is_(None),
).order_by(Lead.created_at.desc()).limit(1)


def open_lead_for(session, contact: Contact) -> Lead | None:
    """The contact's newest open lead: theirs, or the one staff merged their lead into
    (which holds their inquiries now)."""
    return session.scalar(_OPEN_LEAD, {"contact_id": contact.id})
