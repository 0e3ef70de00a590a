"""The rendered public thread of an article, made once and reused until it changes.

Rendering 1,000 comments costs ~100 ms of Jinja; serving the stored HTML costs one query.
Every operation that changes what the public sees calls ``invalidate`` in its transaction.
"""

from dataclasses import dataclass

from flask import render_template
from sqlalchemy import update

from crm.articles.models import Article, ThreadCache
from crm.articles.queries import comment_thread
from crm.core.database import dialect_insert
from crm.core.types import utcnow


@dataclass(frozen=True)
class PublicThread:
    html: str
    approved_count: int


def invalidate(session, article_id: int) -> None:
    """Mark the article's thread as changed: no HTML, the next generation.

    A row that says so rather than no row: a page view that read the thread before this
    change and stores its rendering after it finds the generation moved and stores nothing,
    instead of keeping the old thread until the next change.
    """
    session.execute(
        dialect_insert(session, ThreadCache)
        .values(article_id=article_id, html=None, approved_count=0, generation=1)
        .on_conflict_do_update(index_elements=["article_id"],
                               set_={"html": None, "generation": ThreadCache.generation + 1})
    )


def public_thread(session, article: Article) -> PublicThread:
    """The stored thread, rendered now (and stored) if an operation marked it changed."""
    cached = session.get(ThreadCache, article.id)
    if cached is not None and cached.html is not None:
        return PublicThread(cached.html, cached.approved_count)
    # Read before the thread: a change committed after this read moves the generation.
    generation = cached.generation if cached is not None else None
    thread = comment_thread(session, article, mine=[])
    html = render_template("articles/_comments.html", thread=thread, article=article)
    values = {"html": html, "approved_count": thread.approved_count, "rendered_at": utcnow()}
    if generation is None:  # a row made meanwhile (a change, or another view) wins
        session.execute(dialect_insert(session, ThreadCache)
                        .values(article_id=article.id, generation=0, **values)
                        .on_conflict_do_nothing(index_elements=["article_id"]))
    else:
        session.execute(
            update(ThreadCache)
            .where(ThreadCache.article_id == article.id, ThreadCache.generation == generation,
                   ThreadCache.html.is_(None))
            .values(**values).execution_options(synchronize_session=False))
    session.commit()  # a cache fill, not a change of state: safe to keep at once
    return PublicThread(html, thread.approved_count)
