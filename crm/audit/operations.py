"""Writing the audit trail; called by other features' operations inside their transaction."""

from sqlalchemy import select

from crm.audit.models import AuditEvent


def record_event(
    session, *, actor, action: str, obj=None, object_type=None, **detail
) -> AuditEvent:
    """Add an audit row for ``action`` on ``obj`` by ``actor`` (a User or None for the system)."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or (obj.__tablename__ if obj is not None else "system"),
        object_id=getattr(obj, "id", None),
        detail=detail,
    )
    session.add(event)
    return event


def last_change(session, obj) -> AuditEvent | None:
    """The newest audit event about ``obj`` (who changed it last, and when)."""
    return session.scalar(
        select(AuditEvent)
        .where(AuditEvent.object_type == obj.__tablename__, AuditEvent.object_id == obj.id)
        .order_by(AuditEvent.id.desc()).limit(1))


def changed_since_message(session, obj, noun: str) -> str:
    """"This article was changed by Fay First at 28 Nov 09:30 UTC, after you opened it…":
    for a save refused because ``obj`` moved on since the form was loaded."""
    event = last_change(session, obj)
    who = event.actor.name if event is not None and event.actor is not None else "someone"
    when = f" at {event.created_at:%-d %b %H:%M} UTC" if event is not None else ""
    return (f"This {noun} was changed by {who}{when}, after you opened it, and nothing was "
            "saved. What you sent is below: compare it with the saved one (open it in "
            "another tab), then save again to replace it.")
