"""Every model, imported once so that the metadata (and Alembic) sees all tables."""

from crm.articles.models import Article, Comment, ModerationSettings
from crm.audit.models import AuditEvent
from crm.auth.models import Territory, User
from crm.catalog.models import Ingredient, PriceTier, SpecRow
from crm.notifications.models import EmailOptOut, OutboxEmail

__all__ = [
    "Article",
    "AuditEvent",
    "Comment",
    "EmailOptOut",
    "Ingredient",
    "ModerationSettings",
    "OutboxEmail",
    "PriceTier",
    "SpecRow",
    "Territory",
    "User",
]
