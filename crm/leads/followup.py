"""Follow-up: each owner's digest of overdue next actions and unanswered leads."""

from collections import defaultdict
from datetime import date

from sqlalchemy import or_, select

from crm.auth.models import User
from crm.core.types import utcnow
from crm.core.urls import external_url
from crm.leads.models import OPEN_STATUSES, Lead
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
    """Queue one digest per owner with something to do (once a day); returns how many."""
    today = today or utcnow().date()
    by_owner = defaultdict(list)
    for lead in leads_needing_attention(session, today):
        by_owner[lead.owner_id].append(lead)
    owners = {u.id: u for u in session.scalars(select(User).where(User.id.in_(by_owner)))}
    sent = 0
    now = utcnow()
    for owner_id, leads in by_owner.items():
        owner = owners[owner_id]
        if not owner.active:
            continue
        overdue = [lead for lead in leads if lead.next_action_on and lead.next_action_on < today]
        unanswered = [lead for lead in leads if lead.first_responded_at is None
                      and lead.first_response_due_at and lead.first_response_due_at < now]
        email = notify(session, template="lead_digest", to=owner.email,
                       key=f"digest:{owner.id}:{today.isoformat()}", stream=DIGEST_STREAM,
                       context={"owner": owner, "overdue": overdue[:DIGEST_LIMIT],
                                "unanswered": unanswered[:DIGEST_LIMIT], "today": today,
                                "list_url": external_url("/dashboard/leads/?owner=me"),
                                "lead_url": lambda lead: external_url(
                                    f"/dashboard/leads/{lead.id}")})
        sent += email is not None
    return sent
