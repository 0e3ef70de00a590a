"""What changes a lead: assignment, the status machine, notes, next actions, emails to the
contact (merging two leads is in ``crm.leads.merging``)."""

from datetime import date, datetime

from flask import current_app
from sqlalchemy import bindparam, exists, insert, or_, select, update

from crm.auth.models import Role, Territory, User
from crm.auth.operations import team_today
from crm.core.database import ROW_PARAMETERS
from crm.core.types import utcnow
from crm.core.urls import external_url
from crm.core.worktime import add_working_hours
from crm.leads.models import (
    LEAD_CLOSED_TO_ANSWERS,
    NOTE_KINDS,
    Activity,
    ActivityKind,
    AssignmentCursor,
    Company,
    Contact,
    Lead,
    LeadStatus,
    RequestedIngredient,
)
from crm.leads.summary import list_columns
from crm.notifications import notify
from crm.quotes.models import Quote

S = LeadStatus
TRANSITIONS = {
    S.NEW: {S.CONTACTED, S.LOST, S.SPAM},
    S.CONTACTED: {S.QUALIFIED, S.LOST, S.SPAM},
    S.QUALIFIED: {S.QUOTED, S.LOST, S.SPAM},
    S.QUOTED: {S.WON, S.LOST, S.SPAM},
    S.LOST: {S.QUALIFIED},  # reopen
    S.WON: set(),
    S.SPAM: set(),
}


class LeadError(ValueError):
    """A change the lead's state or the user's role does not allow; message for the user."""


class LeadConflict(LeadError):
    """Someone else saved the lead since this user loaded it."""


def record_activity(session, *, lead: Lead, kind: ActivityKind, actor=None, body: str = "",
                    **detail) -> Activity:
    activity = Activity(lead=lead, kind=kind, actor_id=getattr(actor, "id", None), body=body,
                        detail=detail)  # the lead may be new: its id comes at the flush
    session.add(activity)
    return activity


def check_version(lead: Lead, expected_version: int | None) -> None:
    """Refuse to overwrite a lead someone else saved after this user loaded it, or to work
    on a lead that was merged away."""
    if lead.merged_into_id is not None:
        raise LeadError("This lead was merged into another one; work on that lead instead.")
    if expected_version is not None and lead.version != expected_version:
        who = lead.updated_by.name if lead.updated_by else "someone"
        when = lead.updated_at.strftime("%-d %b %H:%M UTC")
        raise LeadConflict(f"This lead was changed by {who} at {when}. Reload to see the "
                           "changes, then try again.")


ERASED_CONTACT = ("This contact's personal data was erased at their request: there is no "
                  "address to write to.")


def touch(lead: Lead, actor) -> None:
    """Who saved the lead last, and when."""
    lead.updated_by_id = getattr(actor, "id", None)
    lead.updated_at = utcnow()


def mark_answered(lead: Lead) -> None:
    """The first note, email, status change or quote sent answers the lead (its first
    response); reassigning it or planning a next action does not."""
    if lead.first_responded_at is None:
        lead.first_responded_at = utcnow()


# --- assignment -----------------------------------------------------------------------------

# Built once: building them (and their cache keys) on every intake cost more than running
# them. The cursor's counter is a plain row: a Core UPDATE, without the ORM's bookkeeping.
_cursors = AssignmentCursor.__table__
_ADVANCE_TURN = (update(_cursors).where(_cursors.c.pool == bindparam("pool_name"))
                 .values(turn=_cursors.c.turn + 1).returning(_cursors.c.turn))
# Active sales users not away, each with whether they cover the country (NULL covers nobody).
_SALES_USERS = select(User, exists().where(
    Territory.user_id == User.id, Territory.country == bindparam("country"),
).label("covers")).where(
    User.active.is_(True), User.role == Role.SALES,
    or_(User.away_until.is_(None), User.away_until < bindparam("today")),
).order_by(User.id)


def _next_turn(session, pool: str) -> int:
    """Advance the pool's round-robin cursor atomically and return the new turn. Two first
    turns of a new pool at once: one insert fails, and the intake runs again."""
    turn = session.scalar(_ADVANCE_TURN, {"pool_name": pool})
    if turn is None:
        session.add(AssignmentCursor(pool=pool, turn=1))
        session.flush()
        turn = 1
    return turn


def choose_owner(session, country: str | None) -> User | None:
    """Territory rule first (round-robin over the country's sales users), else round-robin
    over all active sales users, else None (the unassigned queue); anyone away is passed by.
    Each of those pools takes its own turns. One statement, then the cursor's."""
    rows = session.execute(_SALES_USERS, {"country": country, "today": team_today()}).all()
    territory = [user for user, covered in rows if covered]
    candidates, pool = (territory, f"country:{country}") if territory else (
        [user for user, _ in rows], "all")
    if not candidates:
        return None
    return candidates[(_next_turn(session, pool) - 1) % len(candidates)]


def _assignment_entry(owner: User | None) -> tuple[str, dict]:
    """The body and detail of the timeline entry that gives a lead to ``owner``."""
    return (f"Assigned to {owner.name}" if owner else "Unassigned",
            {"owner_id": getattr(owner, "id", None)})


def can_own_leads(user) -> bool:
    """Whether ``user`` may own leads: an active account in sales (admins hold every role).
    A lead whose owner left, or moved out of sales, is anyone's, and its news goes to the
    team: its owner can no longer open it."""
    return user is not None and user.active and user.has_role(Role.SALES)


def owned_by_someone_else(lead: Lead, user) -> bool:
    """Whether someone else who may own leads owns this one."""
    return can_own_leads(lead.owner) and lead.owner_id != user.id


def refuse_others_lead(lead: Lead, actor, doing: str) -> None:
    """Sales act on unowned leads and their own; only admins (or the system, with no actor)
    take a lead away from another salesperson."""
    if actor is not None and actor.role is not Role.ADMIN and owned_by_someone_else(lead, actor):
        raise LeadError(f"Only an admin can {doing} a lead that belongs to someone else.")


def assign(session, *, lead: Lead, owner: User | None, actor, expected_version=None,
           notify_owner: bool = True) -> bool:
    """Give the lead to ``owner``. Sales may take unowned leads or pass on their own; only
    admins move a lead away from another salesperson. ``notify_owner`` False: the caller
    tells the new owner (of several leads at once). False when the lead was theirs already."""
    check_version(lead, expected_version)
    refuse_others_lead(lead, actor, "reassign")
    if owner is not None and not can_own_leads(owner):
        raise LeadError("Leads can only go to active sales users.")
    if lead.owner_id == getattr(owner, "id", None):
        return False
    lead.owner = owner
    lead.owner_id = getattr(owner, "id", None)
    body, detail = _assignment_entry(owner)
    record_activity(session, lead=lead, kind=ActivityKind.ASSIGNED, actor=actor, body=body,
                    **detail)
    if actor is not None:
        touch(lead, actor)
    # At intake (no actor) the new-lead alert tells the owner; a person's reassignment needs
    # its own email, unless they took the lead themselves.
    if notify_owner and owner is not None and actor is not None and owner.id != actor.id:
        notify(session, template="lead_assigned", to=owner.email, related=lead,
               key=f"lead-assigned:{lead.id}:{owner.id}:{lead.version}",
               context={"lead": lead, "owner": owner, "actor": actor,
                        "url": external_url(f"/dashboard/leads/{lead.id}")})
    return True


# The intake's writes of a new lead, built once. Two statements: the unit of work's flush of
# a new lead and its timeline cost more than running them.
_NEW_LEAD = insert(Lead).returning(Lead).execution_options(**ROW_PARAMETERS)
_NEW_ACTIVITIES = insert(Activity.__table__)


def open_lead(session, *, reference: str, contact: Contact, company: Company,
              lines: list[RequestedIngredient], status: LeadStatus, owner: User | None,
              score: int, score_reasons: list[str], created_at, note: str, **detail) -> Lead:
    """A new lead on its first inquiry's ``lines``, given to ``owner`` by the system (as
    ``assign`` gives it), with ``note`` (and ``detail``) first on its timeline."""
    if owner is not None and not can_own_leads(owner):
        raise LeadError("Leads can only go to active sales users.")
    lead = session.scalar(_NEW_LEAD, {
        "reference": reference, "contact_id": contact.id, "company_id": company.id,
        "owner_id": getattr(owner, "id", None), "status": status, "score": score,
        "score_reasons": score_reasons, "created_at": created_at,
        "first_response_due_at": first_response_due(created_at),
        **list_columns(reference, contact, company, lines),
    })
    timeline = [(ActivityKind.CREATED, note, detail)]
    if owner is not None:
        timeline.append((ActivityKind.ASSIGNED, *_assignment_entry(owner)))
    session.execute(_NEW_ACTIVITIES, [
        {"lead_id": lead.id, "kind": kind, "actor_id": None, "body": body, "detail": data}
        for kind, body, data in timeline])
    return lead


# --- status, notes, next action --------------------------------------------------------------

def change_status(session, *, lead: Lead, status: LeadStatus, actor, lost_reason: str = "",
                  expected_version=None) -> None:
    """Move the lead along an allowed transition; "lost" needs a reason."""
    check_version(lead, expected_version)
    if status not in TRANSITIONS[lead.status]:
        raise LeadError(f"A {lead.status.label.lower()} lead cannot become "
                        f"{status.label.lower()}.")
    if status is S.LOST and not lost_reason.strip():
        raise LeadError("Say why the lead was lost.")
    before = lead.status
    set_status(session, lead, status)
    lead.lost_reason = lost_reason.strip() if status is S.LOST else None
    touch(lead, actor)
    mark_answered(lead)
    record_activity(session, lead=lead, kind=ActivityKind.STATUS, actor=actor,
                    body=f"{before.label} → {status.label}"
                    + (f": {lead.lost_reason}" if lead.lost_reason else ""),
                    before=before.value, after=status.value)


def set_status(session, lead: Lead, status: LeadStatus) -> None:
    """The lead's status, and with it whether its quotes can be answered (``lead_closed``)."""
    if (lead.status in LEAD_CLOSED_TO_ANSWERS) != (status in LEAD_CLOSED_TO_ANSWERS):
        session.execute(update(Quote).where(Quote.lead_id == lead.id)
                        .values(lead_closed=status in LEAD_CLOSED_TO_ANSWERS))
    lead.status = status


def add_note(session, *, lead: Lead, body: str, actor,
             kind: ActivityKind = ActivityKind.NOTE) -> Activity:
    """A staff-only note on the timeline, or a call or meeting with the contact, logged with
    what was said. Any of them answers the lead."""
    check_version(lead, None)
    if kind not in NOTE_KINDS:
        raise LeadError("Log a note, a call or a meeting.")
    body = body.strip()
    if not body:
        raise LeadError("Write the note first.")
    touch(lead, actor)
    mark_answered(lead)
    return record_activity(session, lead=lead, kind=kind, actor=actor, body=body)


def set_next_action(session, *, lead: Lead, on: date | None, note: str, actor,
                    expected_version=None) -> None:
    check_version(lead, expected_version)
    lead.next_action_on = on
    lead.next_action_note = (note.strip() or None) if on else None
    touch(lead, actor)
    record_activity(session, lead=lead, kind=ActivityKind.NEXT_ACTION, actor=actor,
                    body=(f"Next action on {on:%-d %b %Y}" + (f": {note.strip()}" if note.strip()
                                                              else "")) if on else
                    "Next action cleared")


def email_contact(session, *, lead: Lead, subject: str, body: str, actor,
                  expected_version=None) -> None:
    """Write to the lead's contact from the CRM; the email goes through the outbox."""
    check_version(lead, expected_version)
    if lead.contact.erased:
        raise LeadError(ERASED_CONTACT)
    if not subject.strip() or not body.strip():
        raise LeadError("Write a subject and a message.")
    activity = record_activity(session, lead=lead, kind=ActivityKind.EMAIL, actor=actor,
                               body=body.strip(), subject=subject.strip())
    session.flush()
    notify(session, template="lead_message", to=lead.contact.email, related=lead,
           key=f"lead-message:{activity.id}",
           context={"lead": lead, "subject": subject.strip(), "body": body.strip(),
                    "sender": actor})
    touch(lead, actor)
    mark_answered(lead)


def first_response_due(created: datetime) -> datetime:
    """When a lead created at ``created`` should have had its first staff answer: the
    configured hours, counted on working days only."""
    config = current_app.config
    return add_working_hours(created, config["CRM_FIRST_RESPONSE_HOURS"],
                             config["CRM_WORKING_DAYS"], config["CRM_WORKING_TIME_ZONE"])
