"""Every model, imported once so that the metadata (and Alembic) sees all tables."""

from crm.articles.models import Article
from crm.audit.models import AuditEvent
from crm.auth.models import Territory, User
from crm.catalog.models import Ingredient, PriceTier, SpecRow

__all__ = ["Article", "AuditEvent", "Ingredient", "PriceTier", "SpecRow", "Territory", "User"]
