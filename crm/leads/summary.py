"""A lead's list columns: copies of its lines, contact and company, so the list needs no
joins. The operations keep them current."""

from decimal import Decimal

from sqlalchemy import select

from crm.leads.models import Company, Contact, Lead, RequestedIngredient


def refresh_summary(session, lead: Lead) -> None:
    """Recompute the list columns from the lead's contact, company and lines."""
    lines = session.scalars(select(RequestedIngredient)
                            .where(RequestedIngredient.lead_id == lead.id)
                            .order_by(RequestedIngredient.id)).all()
    _set(lead, list_columns(lead.reference, lead.contact, lead.company, lines))


def copy_who(lead: Lead) -> None:
    """Set the list columns that say who asked from the lead's contact and company."""
    _set(lead, _who_columns(lead.reference, lead.contact, lead.company))


def list_columns(reference: str, contact: Contact, company: Company | None,
                 lines: list[RequestedIngredient]) -> dict:
    """The list columns of the lead ``reference`` on ``lines`` (all of its lines), asked for
    by ``contact`` of ``company``."""
    names = list(dict.fromkeys(line.display_name for line in lines))
    return {"ingredients_summary": ", ".join(names)[:500], "total_kg": total_kg(lines),
            **_who_columns(reference, contact, company)}


def total_kg(lines: list[RequestedIngredient]) -> Decimal:
    """The kilograms ``lines`` come to: each line's in whole packs, else as computed or given."""
    return sum((line.kg_rounded or line.kg_needed or line.quantity_kg_given or Decimal(0)
                for line in lines), Decimal(0))


def _who_columns(reference: str, contact: Contact, company: Company | None) -> dict:
    company_name = company.name if company else ""
    return {"contact_name": contact.name, "contact_email": contact.email,
            "company_name": company_name, "company_key": company_name.lower(),
            "country": contact.country,
            "search_text": " ".join((reference, company_name, contact.name,
                                     contact.email)).lower()}


def _set(lead: Lead, columns: dict) -> None:
    for name, value in columns.items():
        setattr(lead, name, value)
