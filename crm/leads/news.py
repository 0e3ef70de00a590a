"""Who hears a lead's news (a new inquiry on it, a customer's answer to its quote): its owner,
else the sales team, and both while the owner is away."""

from sqlalchemy import select

from crm.auth.models import Role, User
from crm.auth.operations import team_today
from crm.leads.operations import can_own_leads

_SALES_TEAM = select(User).where(User.active.is_(True), User.role == Role.SALES).order_by(
    User.name, User.id)


def news_recipients(session, owner: User | None) -> tuple[list[User], User | None]:
    """Who hears a lead's news (a new inquiry on it, a customer's answer to its quote): its
    owner; with no active owner, the sales team; with the owner away, the owner and the team,
    so that someone answers in their stead. The team is the active salespeople who are not
    away (all of them, when everyone is). Returns (recipients, the owner who is away)."""
    today = team_today()
    if can_own_leads(owner) and not owner.away_on(today):
        return [owner], None
    everyone = session.scalars(_SALES_TEAM).all()
    team = [user for user in everyone if not user.away_on(today)] or everyone
    if not can_own_leads(owner):
        return team, None
    return [owner, *(user for user in team if user.id != owner.id)], owner
