"""Follow-up: each owner's digest of overdue next actions and unanswered leads; the admins'
also lists such leads whose owner is no longer active in sales (nobody else hears of them)."""

from collections import defaultdict
from datetime import date

from sqlalchemy import or_, select

from crm.auth.models import Role, User
from crm.core.types import utcnow
from crm.core.urls import external_url
from crm.leads.models import OPEN_STATUSES, Lead
from crm.leads.operations import can_own_leads
from crm.notifications import notify

DIGEST_STREAM = "digests"
DIGEST_LIMIT = 50  # per owner; the email links to the full list


def leads_needing_attention(session, today: date):
    """Open, unmerged leads with an overdue next action or an unanswered first response."""
    now = utcnow()
    return session.scalars(
        select(Lead).where(
            Lead.status.in_(OPEN_STATUSES), Lead.merged_into_id.is_(None),
            Lead.owner_id.is_not(None),
            or_(Lead.next_action_on < today,
                Lead.first_responded_at.is_(None) & (Lead.first_response_due_at < now)),
        ).order_by(Lead.owner_id, Lead.next_action_on, Lead.created_at)
    ).all()


def send_digests(session, today: date | None = None) -> int:
    """Queue one digest per active owner with something to do, and per admin while leads
    with something to do have no active owner (once a day); returns how many."""
    today = today or utcnow().date()
    now = utcnow()
    by_owner, orphaned = defaultdict(list), []
    leads = leads_needing_attention(session, today)
    owners = {u.id: u for u in session.scalars(
        select(User).where(User.id.in_({lead.owner_id for lead in leads})))}
    for lead in leads:
        owner = owners[lead.owner_id]
        (by_owner[owner] if can_own_leads(owner) else orphaned).append(lead)
    recipients = dict.fromkeys(by_owner)
    if orphaned:
        recipients.update(dict.fromkeys(session.scalars(select(User).where(
            User.active.is_(True), User.role == Role.ADMIN).order_by(User.id))))
    sent = 0
    for recipient in recipients:
        mine = by_owner.get(recipient, [])
        email = notify(session, template="lead_digest", to=recipient.email,
                       key=f"digest:{recipient.id}:{today.isoformat()}", stream=DIGEST_STREAM,
                       context={
                           "owner": recipient, "today": today,
                           "overdue": [lead for lead in mine if lead.next_action_on
                                       and lead.next_action_on < today][:DIGEST_LIMIT],
                           "unanswered": [lead for lead in mine if lead.first_responded_at is None
                                          and lead.first_response_due_at
                                          and lead.first_response_due_at < now][:DIGEST_LIMIT],
                           "orphaned": orphaned[:DIGEST_LIMIT]
                           if recipient.role is Role.ADMIN else [],
                           "former_owners": owners,
                           "list_url": external_url("/dashboard/leads/?owner=me"),
                           "lead_url": lambda lead: external_url(f"/dashboard/leads/{lead.id}")})
        sent += email is not None
    return sent
