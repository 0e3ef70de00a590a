"""The staff navigation: one table of sections, each shown to the roles that may open it."""

from dataclasses import dataclass

from flask import current_app, url_for
from flask_login import current_user

from crm.auth.models import Role


@dataclass(frozen=True)
class Section:
    label: str
    endpoint: str
    roles: tuple[Role, ...]
    description: str = ""

    @property
    def prefix(self) -> str:
        return self.endpoint.split(".")[0] + "."

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


SECTIONS = (
    Section("Dashboard", "dashboard.index", (Role.SALES, Role.MODERATOR)),
    Section("Leads", "leads.index", (Role.SALES,), "Quote requests to work, by status."),
    Section("Quotes", "quotes.index", (Role.SALES,),
            "Quotes awaiting the customer's answer, drafts, accepted and declined."),
    Section("Moderation", "moderation.index", (Role.MODERATOR,), "Comments waiting for review."),
    Section("Articles", "article_admin.index", (), "Write and publish articles."),
    Section("Catalog", "catalog_admin.index", (), "Ingredients, specs and price tiers."),
    Section("Email log", "email_log.index", (), "Every email the system sent or queued."),
    Section("Users", "accounts.index", (), "Staff accounts, roles and territories."),
)


def staff_navigation() -> list[Section]:
    """The sections the signed-in user may open, among those this build has."""
    if not current_user.is_authenticated:
        return []
    return [
        section for section in SECTIONS
        if section.endpoint in current_app.view_functions and current_user.has_role(*section.roles)
    ]
