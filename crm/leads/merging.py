"""Merging two leads: the one merged away folds into the one kept, both timelines kept."""

from sqlalchemy import update

from crm.leads.models import (
    LEAD_CLOSED_TO_ANSWERS,
    OPEN_STATUSES,
    Activity,
    ActivityKind,
    Inquiry,
    Lead,
    LeadStatus,
    RequestedIngredient,
)
from crm.leads.operations import LeadError, record_activity, refuse_others_lead, touch
from crm.leads.summary import refresh_summary
from crm.notifications.models import OutboxEmail


def merge(session, *, source: Lead, target: Lead, actor) -> None:
    """Fold ``source`` into ``target``: inquiries, lines, timeline and quotes all move over.
    Merging a lead away takes it from its owner, so the rule of ``assign`` applies to it."""
    if source.id == target.id:
        raise LeadError("A lead cannot be merged into itself.")
    if source.merged_into_id or target.merged_into_id:
        raise LeadError("That lead was already merged.")
    refuse_others_lead(source, actor, "merge away")
    for quote in list(source.quotes):  # the customer's link now answers on the lead kept
        quote.lead, quote.lead_closed = target, target.status in LEAD_CLOSED_TO_ANSWERS
    for model in (Inquiry, RequestedIngredient, Activity):
        session.execute(update(model).where(model.lead_id == source.id)
                        .values(lead_id=target.id).execution_options(synchronize_session=False))
    session.execute(update(OutboxEmail).where(OutboxEmail.related_type == "leads",
                                              OutboxEmail.related_id == source.id)
                    .values(related_id=target.id, related_label=target.log_label)
                    .execution_options(synchronize_session=False))
    source.merged_into_id = target.id
    if target.estimated_value is None and source.estimated_value is not None:
        target.estimated_value = source.estimated_value
        target.estimated_currency = source.estimated_currency
    if source.status in OPEN_STATUSES:
        source.status = LeadStatus.LOST
        source.lost_reason = f"Merged into {target.reference}"
    touch(source, actor)
    touch(target, actor)
    session.flush()
    session.expire(target, ["inquiries"])
    refresh_summary(session, target)
    record_activity(session, lead=target, kind=ActivityKind.MERGED, actor=actor,
                    body=f"Merged {source.reference} into this lead", source_id=source.id)
