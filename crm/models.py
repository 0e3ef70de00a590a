"""Every model, imported once so that the metadata (and Alembic) sees all tables."""

from crm.articles.models import (
    Article,
    ArticleOldSlug,
    Comment,
    ModerationSettings,
    ThreadCache,
)
from crm.audit.models import AuditEvent
from crm.auth.models import Territory, User
from crm.catalog.models import Ingredient, IngredientOldSlug, PriceTier, SpecRow
from crm.leads.models import (
    Activity,
    AssignmentCursor,
    Company,
    Contact,
    Inquiry,
    Lead,
    RequestedIngredient,
)
from crm.notifications.models import EmailOptOut, OutboxEmail
from crm.quotes.models import Quote, QuoteCounter, QuoteLine

__all__ = [
    "Activity",
    "Article",
    "ArticleOldSlug",
    "AssignmentCursor",
    "AuditEvent",
    "Comment",
    "Company",
    "Contact",
    "EmailOptOut",
    "Ingredient",
    "IngredientOldSlug",
    "Inquiry",
    "Lead",
    "ModerationSettings",
    "OutboxEmail",
    "PriceTier",
    "Quote",
    "QuoteCounter",
    "QuoteLine",
    "RequestedIngredient",
    "SpecRow",
    "Territory",
    "ThreadCache",
    "User",
]
