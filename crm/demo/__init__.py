"""Demo data for a first run: one user per role, an article and a catalog."""

import json
import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from crm.articles.models import Article
from crm.articles.rendering import render_markdown
from crm.auth.models import Role, User
from crm.auth.operations import create_user
from crm.catalog.models import Ingredient, PriceTier, SpecRow
from crm.core.types import utcnow

CONTENT = Path(__file__).resolve().parent / "content"
DEMO_USERS = [
    (Role.ADMIN, "admin@example.com", "Ada Admin", ()),
    (Role.SALES, "sales@example.com", "Sam Sales", ("US", "CA", "GB")),
    (Role.MODERATOR, "moderator@example.com", "Mo Moderator", ()),
]
ARTICLE_SLUG = "formulating-with-l-serine"


def seed_demo(session) -> list[tuple[str, str, str]]:
    """Add whatever demo data is missing. Returns (role, email, password) of new users."""
    created = _seed_users(session)
    _seed_catalog(session)
    _seed_article(session)
    return created


def _seed_users(session) -> list[tuple[str, str, str]]:
    created = []
    for role, email, name, territories in DEMO_USERS:
        if session.scalar(User.by_email(email)) is not None:
            continue
        password = secrets.token_urlsafe(12)
        create_user(session, email=email, name=name, role=role, password=password,
                    territories=territories)
        created.append((role.value, email, password))
    return created


def _seed_catalog(session) -> None:
    existing = set(session.scalars(select(Ingredient.slug)))
    for item in json.loads((CONTENT / "catalog.json").read_text()):
        if item["slug"] in existing:
            continue
        ingredient = Ingredient(
            slug=item["slug"], name=item["name"], cas_number=item["cas_number"],
            description=item["description"], grades=item["grades"], forms=item["forms"],
            pack_size_kg=Decimal(str(item["pack_size_kg"])), moq_kg=Decimal(str(item["moq_kg"])),
            lead_time_days=item["lead_time_days"],
            max_daily_dose_mg=Decimal(str(item["max_daily_dose_mg"])),
            featured=item["featured"],
        )
        ingredient.specs = [
            SpecRow(position=i, parameter=s["parameter"], limit=s["limit"], method=s["method"])
            for i, s in enumerate(item["specs"])
        ]
        ingredient.price_tiers = [
            PriceTier(grade=t["grade"], min_kg=Decimal(str(t["min_kg"])),
                      price_per_kg=Decimal(t["price_per_kg"]), currency=t["currency"])
            for t in item["price_tiers"]
        ]
        session.add(ingredient)


def _seed_article(session) -> None:
    if session.scalar(select(Article.id).where(Article.slug == ARTICLE_SLUG)) is not None:
        return
    markdown = (CONTENT / f"{ARTICLE_SLUG}.md").read_text()
    title_line, _, body = markdown.partition("\n")
    admin = session.scalar(User.by_email(DEMO_USERS[0][1]))
    session.add(Article(
        slug=ARTICLE_SLUG,
        title=title_line.lstrip("# ").strip(),
        summary="Dose ranges, capsule and powder formats, partner ingredients and the "
                "kilogram math for an L-serine product.",
        body_markdown=body.strip(),
        body_html=render_markdown(body),
        published=True,
        published_at=utcnow() - timedelta(days=3),
        author_id=admin.id if admin else None,
    ))


def demo_logins_path(instance_path: str) -> Path:
    return Path(instance_path) / "demo-logins.txt"


def save_demo_logins(instance_path: str, created: list[tuple[str, str, str]]) -> None:
    """Keep the generated demo passwords beside the development database (mode 600)."""
    if not created:
        return
    path = demo_logins_path(instance_path)
    with path.open("a") as handle:
        for role, email, password in created:
            handle.write(f"{role:<10} {email:<24} {password}\n")
    path.chmod(0o600)
