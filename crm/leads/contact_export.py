"""Everything held about a contact, for them to see (the privacy notice offers to show it):
their details, every request as they sent it, their leads with the timelines staff keep about
them, the quotes they were sent, the emails written to them and their article comments."""

from sqlalchemy import or_, select

from crm.articles.moderation import comments_by
from crm.audit.operations import record_event
from crm.core.privacy import plain
from crm.leads.models import Activity, Contact, Inquiry, Lead
from crm.notifications.operations import emails_to
from crm.quotes.models import Quote


def contact_data(session, contact: Contact, *, actor) -> dict:
    """What we hold about ``contact``, as plain JSON-ready values. Recorded in the audit log
    (who looked it up, and when)."""
    inquiries = session.scalars(select(Inquiry).where(Inquiry.contact_id == contact.id)
                                .order_by(Inquiry.created_at, Inquiry.id)).all()
    leads = session.scalars(select(Lead).where(or_(
        Lead.contact_id == contact.id, Lead.id.in_({i.lead_id for i in inquiries})))
        .order_by(Lead.created_at, Lead.id)).all()
    lead_ids = [lead.id for lead in leads]
    activities = session.scalars(select(Activity).where(Activity.lead_id.in_(lead_ids))
                                 .order_by(Activity.created_at, Activity.id)).all()
    quotes = session.scalars(select(Quote).where(Quote.lead_id.in_(lead_ids),
                                                 Quote.sent_at.is_not(None))
                             .order_by(Quote.sent_at, Quote.id)).all()
    record_event(session, actor=actor, action="contact.exported", obj=contact)
    company = contact.company
    return plain({
        "contact": {"name": contact.name, "email": contact.email, "phone": contact.phone,
                    "job_title": contact.job_title, "country": contact.country,
                    "first_seen": contact.created_at},
        "company": company and {"name": company.name, "domain": company.domain,
                                "country": company.country, "type": company.company_type},
        "requests": [{
            "reference": i.reference, "sent_at": i.created_at, "consent_at": i.consent_at,
            "fields_as_sent": i.submitted, "source_page": i.source_page, "utm": i.utm,
            "ip_address": i.ip, "browser": i.user_agent,
        } for i in inquiries],
        "leads": [{
            "reference": lead.reference, "status": lead.status.value,
            "opened_at": lead.created_at,
            "timeline": [{"at": a.created_at, "kind": a.kind.value, "text": a.body}
                         for a in activities if a.lead_id == lead.id],
        } for lead in leads],
        "quotes": [{
            "quote": q.label, "status": q.status.value, "total": q.total,
            "currency": q.currency, "sent_at": q.sent_at, "valid_until": q.valid_until,
            "accepted_at": q.accepted_at, "accepted_by": q.accepted_by_name,
            "accepted_from_ip_address": q.accepted_ip, "declined_at": q.declined_at,
            "decline_reason": q.decline_reason,
        } for q in quotes],
        "emails_to_them": emails_to(session, contact.email),
        "article_comments": comments_by(session, contact.email),
    })

