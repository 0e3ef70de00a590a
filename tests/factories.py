"""Plain factory functions: ``make_user(role="sales")``; each commits what it makes."""

import itertools

from crm.articles.models import Article
from crm.articles.rendering import render_markdown
from crm.auth.models import Role
from crm.auth.operations import create_user
from crm.core.types import utcnow
from crm.extensions import db

DEFAULT_PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


def make_user(role="sales", password=DEFAULT_PASSWORD, **overrides):
    n = next(_sequence)
    values = {
        "email": f"{role}{n}@example.com",
        "name": f"{role.capitalize()} Person {n}",
        "role": Role(role),
        "password": password,
    }
    values.update(overrides)
    user = create_user(db.session, **values)
    db.session.commit()
    return user


def make_article(**overrides):
    n = next(_sequence)
    values = {
        "slug": f"article-{n}",
        "title": f"Article {n}",
        "summary": "A summary.",
        "body_markdown": "Some **text**.",
        "published": True,
        "published_at": utcnow(),
    }
    values.update(overrides)
    values.setdefault("body_html", render_markdown(values["body_markdown"]))
    article = Article(**values)
    db.session.add(article)
    db.session.commit()
    return article


def make_comment(article=None, **overrides):
    """A stored comment (approved unless ``status`` says otherwise), bypassing the screen."""
    from crm.articles.comments import body_fingerprint
    from crm.articles.models import Comment, CommentStatus
    from crm.articles.rendering import render_comment

    n = next(_sequence)
    article = article or make_article()
    values = {
        "article_id": article.id, "author_name": f"Reader {n}",
        "author_email": f"reader{n}@example.com", "body": f"Comment number {n}.",
        "status": CommentStatus.APPROVED, "ip": "192.0.2.10", "user_agent": "pytest",
        "spam_reasons": [],
    }
    values.update(overrides)
    if isinstance(values["status"], str):
        values["status"] = CommentStatus(values["status"])
    values.setdefault("body_html", render_comment(values["body"]))
    values.setdefault("body_hash", body_fingerprint(values["body"]))
    comment = Comment(**values)
    db.session.add(comment)
    db.session.commit()
    return comment


def seed_catalog():
    """The demo catalog (six ingredients with packs, grades and price tiers)."""
    from crm.demo import _seed_catalog

    _seed_catalog(db.session)
    db.session.commit()


def quote_request(**overrides):
    """A complete, valid QuoteRequest: 500 mg × 60 × 10,000 × 5 % of L-serine."""
    from decimal import Decimal

    from crm.intake.requests import LineRequest, QuoteRequest

    n = next(_sequence)
    values = {
        "company": "Acme Nutrition", "name": "Ana Formulator", "email": f"ana{n}@acme.example",
        "country": "US", "consent": True, "phone": "+1 555 0100", "company_type": "brand owner",
        "job_title": "Product developer", "formulation_type": "capsule",
        "dose_mg": Decimal("500"), "servings_per_unit": 60, "units": 10000,
        "overage_pct": Decimal("5"), "project_stage": "sampling", "target_market": "US",
        "lines": [LineRequest(ingredient_slug="l-serine", grade="USP", form="Powder",
                              compute=True)],
        "documents": ["coa", "spec"], "sample_wanted": True, "message": "Capsule project.",
        "submitted": {"company": ["Acme Nutrition"]},
    }
    values.update(overrides)
    return QuoteRequest(**values)


def submit(request=None, key=None, **kwargs):
    """Run the intake pipeline and commit, as the view does."""
    import uuid

    from crm.intake.operations import submit_inquiry

    values = {"seconds_to_fill": 30.0, "honeypot": "", "ip": "198.51.100.1",
              "user_agent": "pytest", "min_fill_seconds": 3}
    values.update(kwargs)
    inquiry = submit_inquiry(db.session, request=request or quote_request(),
                             submission_key=key or uuid.uuid4().hex, **values)
    db.session.commit()
    return inquiry
