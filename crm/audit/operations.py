"""Writing the audit trail; called by other features' operations inside their transaction."""

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
