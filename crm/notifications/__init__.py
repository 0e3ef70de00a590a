"""Email: the transactional outbox, its delivery worker, opt-outs and the email log.

Every email of the product is queued with ``notify(...)`` inside the caller's transaction
and delivered after commit by the worker (``flask crm worker``).
"""

from crm.notifications.operations import HeaderInjectionError, notify, notify_new

__all__ = ["HeaderInjectionError", "notify", "notify_new"]
