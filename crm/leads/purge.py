"""Spam leads are not kept for ever: their personal data goes once no one has touched them for
a while (``flask crm purge-spam``, daily from cron)."""

from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import aliased

from crm.audit.operations import record_event
from crm.leads.models import (
    Activity,
    Company,
    Contact,
    Inquiry,
    Lead,
    LeadStatus,
    RequestedIngredient,
)
from crm.notifications.models import OutboxEmail
from crm.quotes.models import Quote

BATCH = 1000


def purge_spam_leads(session, *, before: datetime) -> int:
    """Delete the spam leads last changed before ``before``, with their inquiries, lines,
    timeline and emails, and the contacts and companies that nothing else names. A spam lead
    with a quote, or with leads merged into it, is kept: those are records of staff work.
    Returns how many leads went."""
    merged_here = aliased(Lead)
    doomed = session.execute(select(Lead.id, Lead.reference, Lead.contact_id, Lead.company_id)
                             .where(Lead.status == LeadStatus.SPAM, Lead.updated_at < before,
                                    Lead.merged_into_id.is_(None),
                                    ~exists().where(Quote.lead_id == Lead.id),
                                    ~exists().where(merged_here.merged_into_id == Lead.id))
                             .order_by(Lead.id)).all()
    for start in range(0, len(doomed), BATCH):
        _purge(session, doomed[start:start + BATCH])
    if doomed:
        record_event(session, actor=None, action="leads.spam_purged", object_type="leads",
                     leads=len(doomed), references=[row.reference for row in doomed][:200])
    return len(doomed)


def _purge(session, doomed: list) -> None:
    """One batch of leads (``BATCH`` ids per IN list, far below any driver's limit on bound
    parameters), then the contacts and companies they alone named."""
    ids = [row.id for row in doomed]
    for model in (RequestedIngredient, Inquiry, Activity):
        _delete(session, model, model.lead_id.in_(ids))
    _delete(session, OutboxEmail, OutboxEmail.related_type == Lead.__tablename__,
            OutboxEmail.related_id.in_(ids))
    _delete(session, Lead, Lead.id.in_(ids))
    contact_ids = {row.contact_id for row in doomed}
    company_ids = {row.company_id for row in doomed if row.company_id is not None}
    company_ids |= set(session.scalars(select(Contact.company_id).where(
        Contact.id.in_(contact_ids), Contact.company_id.is_not(None))))
    _delete(session, Contact, Contact.id.in_(contact_ids),
            ~exists().where(Inquiry.contact_id == Contact.id),
            ~exists().where(Lead.contact_id == Contact.id))
    _delete(session, Company, Company.id.in_(company_ids),
            ~exists().where(Contact.company_id == Company.id),
            ~exists().where(Lead.company_id == Company.id))


def _delete(session, model, *where) -> None:
    session.execute(delete(model).where(*where).execution_options(synchronize_session=False))
