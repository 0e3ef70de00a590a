"""Changing several leads at once, from the list: each through the operation that changes one
lead, with its rules (the state machine, who may reassign, the version the list showed).

Those operations check everything before they change anything, so a refused lead is left as
it was and the others are done, in the caller's one transaction.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from crm.auth.models import User
from crm.core.urls import external_url
from crm.leads import operations
from crm.leads.models import Lead, LeadStatus
from crm.leads.operations import LeadError
from crm.notifications import notify


@dataclass
class Batch:
    changed: list[Lead] = field(default_factory=list)
    unchanged: list[Lead] = field(default_factory=list)  # already as asked
    refused: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)


def _each(session, picks: dict[int, int],
          change: Callable[[Lead, int], bool | None]) -> Batch:
    """``change(lead, version)`` for each picked lead (id → the version the list showed), in
    the order picked; a LeadError refuses that lead alone, False says it was already so."""
    found = {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(picks)))}
    batch = Batch()
    for lead_id, version in picks.items():
        lead = found.get(lead_id)
        if lead is None:
            batch.refused.append((f"Lead #{lead_id}", "No such lead."))
            continue
        try:
            done = change(lead, version)
        except LeadError as exc:
            batch.refused.append((lead.reference, str(exc)))
        else:
            (batch.unchanged if done is False else batch.changed).append(lead)
    return batch


def assign_leads(session, *, picks: dict[int, int], owner: User | None, actor) -> Batch:
    """Give the leads to ``owner`` (None: the unassigned queue), as ``operations.assign``
    allows. The new owner gets one email listing the leads they did not have, not one per
    lead."""
    batch = _each(session, picks, lambda lead, version: operations.assign(
        session, lead=lead, owner=owner, actor=actor, expected_version=version,
        notify_owner=False))
    if owner is not None and owner.id != actor.id and batch.changed:
        notify(session, template="leads_assigned", to=owner.email, new_key=True,
               key=f"leads-assigned:{owner.id}:{uuid.uuid4().hex}",
               context={"leads": batch.changed, "owner": owner, "actor": actor,
                        "url": external_url("/dashboard/leads/?owner=me")})
    return batch


def change_statuses(session, *, picks: dict[int, int], status: LeadStatus, lost_reason: str,
                    actor) -> Batch:
    """Move each lead to ``status`` where its current status allows it."""
    return _each(session, picks, lambda lead, version: operations.change_status(
        session, lead=lead, status=status, actor=actor, lost_reason=lost_reason,
        expected_version=version))
