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
