"""Follow-up: each owner's digest of overdue next actions, unanswered leads and quotes about
to expire; the admins' also lists such leads and quotes whose owner is no longer active in
sales (nobody else hears of them), or is away (their digest waits for their return)."""

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import or_, select

from crm.auth.models import Role, User
from crm.auth.operations import team_today
from crm.core.types import utcnow
from crm.core.urls import external_url
from crm.leads.models import OPEN_STATUSES, Lead
from crm.leads.operations import can_own_leads
from crm.notifications import notify
from crm.quotes.models import Quote, QuoteStatus

DIGEST_STREAM = "digests"
DIGEST_LIMIT = 50  # per owner; the email links to the full list
EXPIRING_DAYS = 7  # quotes awaiting an answer that lapse within this are worth a call


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


def quotes_expiring(session, today: date) -> list:
    """Quotes awaiting an answer (not a lost or spam lead's) that lapse within
    ``EXPIRING_DAYS``, with their lead's owner, reference and company; soonest first."""
    return session.execute(
        select(Quote, Lead.owner_id, Lead.reference, Lead.company_name)
        .join(Lead, Lead.id == Quote.lead_id)
        .where(Quote.status.in_((QuoteStatus.SENT, QuoteStatus.VIEWED)),
               Quote.valid_until.between(today, today + timedelta(days=EXPIRING_DAYS)),
               Quote.lead_closed.is_(False), Lead.owner_id.is_not(None))
        .order_by(Quote.valid_until, Quote.id)).all()


def send_digests(session, today: date | None = None) -> int:
    """Queue one digest per active owner with something to do (none while they are away),
    and per admin while leads with something to do have no active owner, or one who is away
    (once a day); returns how many."""
    today = today or utcnow().date()
    now = utcnow()
    by_owner, orphaned = defaultdict(list), []
    leads = leads_needing_attention(session, today)
    expiring = quotes_expiring(session, today)
    owners = {u.id: u for u in session.scalars(select(User).where(User.id.in_(
        {lead.owner_id for lead in leads} | {row.owner_id for row in expiring})))}
    working_day = team_today()
    away, away_quotes = [], []  # of owners on leave: they get no digest, the admins see them

    def pile(owner, mine: list, theirs: list, orphans: list) -> list:
        if not can_own_leads(owner):
            return orphans
        return theirs if owner.away_on(working_day) else mine

    for lead in leads:
        owner = owners[lead.owner_id]
        pile(owner, by_owner[owner], away, orphaned).append(lead)
    quotes_of, orphaned_quotes = defaultdict(list), []
    for row in expiring:
        owner = owners[row.owner_id]
        pile(owner, quotes_of[owner], away_quotes, orphaned_quotes).append(row)
    recipients = dict.fromkeys([owner for owner, rows in [*by_owner.items(), *quotes_of.items()]
                                if rows])
    if orphaned or orphaned_quotes or away or away_quotes:
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
                           "expiring": quotes_of.get(recipient, [])[:DIGEST_LIMIT],
                           "orphaned_quotes": orphaned_quotes[:DIGEST_LIMIT]
                           if recipient.role is Role.ADMIN else [],
                           "orphaned": orphaned[:DIGEST_LIMIT]
                           if recipient.role is Role.ADMIN else [],
                           "away": away[:DIGEST_LIMIT] if recipient.role is Role.ADMIN else [],
                           "away_quotes": away_quotes[:DIGEST_LIMIT]
                           if recipient.role is Role.ADMIN else [],
                           "former_owners": owners,
                           "list_url": external_url("/dashboard/leads/?owner=me"),
                           "lead_url": lambda lead_id: external_url(f"/dashboard/leads/{lead_id}")})
        sent += email is not None
    return sent
