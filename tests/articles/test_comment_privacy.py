"""What the public sees of comments: escaped, threaded, never an email or IP, few queries."""

import pytest
from sqlalchemy import select

from crm.articles.moderation import moderate, reply_as_staff
from crm.articles.rendering import render_comment
from crm.extensions import db
from crm.notifications.models import OutboxEmail
from crm.notifications.operations import read_unsubscribe_token
from tests.conftest import recorded_statements
from tests.factories import make_article, make_comment, make_user

NASTY = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(document.cookie)",
    "Evil\u202egnp.exe",  # right-to-left override
    "O'Brien & \"Sons\"",
]


def test_author_email_and_ip_never_appear_publicly(client):
    article = make_article()
    make_comment(article, author_email="secret.person@hidden.example", ip="203.0.113.99")
    for path in ("/", f"/articles/{article.slug}"):
        page = client.get(path).get_data(as_text=True)
        assert "secret.person" not in page and "hidden.example" not in page
        assert "203.0.113.99" not in page


@pytest.mark.parametrize("value", NASTY)
def test_every_field_comes_out_escaped(client, value):
    article = make_article()
    make_comment(article, author_name=value, body=f"before {value} after",
                 author_url="https://example.com/?q=" + value.replace(" ", "+"))
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert 'href="javascript:' not in page
    assert "onerror=alert(1)>" not in page


def test_rendering_keeps_paragraphs_and_links_urls_safely():
    html = render_comment("First line\nsecond line\n\nNew paragraph: https://example.com/a?b=1&c=2.")
    assert html == (
        "<p>First line<br>\nsecond line</p>\n<p>New paragraph: "
        '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
        "https://example.com/a?b=1&amp;c=2</a>.</p>"
    )
    assert "<a" not in render_comment("javascript:alert(1) and ftp://x.example")


def test_bidi_override_is_removed_from_stored_names(client):
    from tests.articles.test_posting import _post

    article = make_article()
    _post(client, article, author_name="Evil\u202egnp.exe")
    assert db.session.scalar(select(db.metadata.tables["comments"].c.author_name)) == "Evilgnp.exe"


def test_website_link_only_for_http_urls_and_marked_nofollow(client):
    article = make_article()
    make_comment(article, author_name="Linked", author_url="https://lab.example")
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert '<a href="https://lab.example" rel="nofollow ugc noopener">Linked</a>' in page


def test_threads_nest_and_staff_replies_are_marked(client):
    article = make_article()
    top = make_comment(article, body="Top level")
    moderator = make_user(role="moderator", name="Mia Moderator")
    reply = reply_as_staff(db.session, parent=top, body="Staff answer", actor=moderator)
    db.session.commit()
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    top_at = page.index(f'id="comment-{top.id}"')
    reply_at = page.index(f'id="comment-{reply.id}"')
    assert top_at < page.index('class="comment-replies', top_at) < reply_at
    assert "Staff</span>" in page[reply_at:]
    assert "2 comments" in page


def test_approved_reply_emails_the_parent_author_who_asked(app):
    article = make_article()
    parent = make_comment(article, author_email="asker@brand.example", notify_replies=True)
    quiet = make_comment(article, author_email="quiet@brand.example", notify_replies=False)
    moderator = make_user(role="moderator")
    reply = make_comment(article, parent_id=parent.id, depth=1, status="pending",
                         author_email="replier@other.example", author_name="Replier")
    other = make_comment(article, parent_id=quiet.id, depth=1, status="pending")
    moderate(db.session, comment=reply, action="approve", actor=moderator)
    moderate(db.session, comment=other, action="approve", actor=moderator)
    db.session.commit()
    [email] = db.session.scalars(select(OutboxEmail)).all()
    assert email.template == "comment_reply" and email.recipient == "asker@brand.example"
    # Nothing emails one reader's address to another.
    assert "replier@other.example" not in email.body_text + email.body_html + email.subject
    assert "Replier" in email.subject
    token = email.headers["List-Unsubscribe"].split("/unsubscribe/")[1].rstrip(">")
    assert read_unsubscribe_token(token) == ("asker@brand.example", "comment-replies")
    # Approving again later (unapprove, approve) does not send a second email.
    moderate(db.session, comment=reply, action="unapprove", actor=moderator)
    moderate(db.session, comment=reply, action="approve", actor=moderator)
    db.session.commit()
    assert len(db.session.scalars(select(OutboxEmail)).all()) == 1


def test_unsubscribed_parent_author_gets_no_reply_email(client):
    article = make_article()
    parent = make_comment(article, author_email="asker@brand.example", notify_replies=True)
    moderator = make_user(role="moderator")
    first = make_comment(article, parent_id=parent.id, depth=1, status="pending")
    moderate(db.session, comment=first, action="approve", actor=moderator)
    db.session.commit()
    email = db.session.scalar(select(OutboxEmail))
    url = email.headers["List-Unsubscribe"].strip("<>").replace("https://crm.example.test", "")
    assert client.post(url).status_code == 200
    second = make_comment(article, parent_id=parent.id, depth=1, status="pending")
    moderate(db.session, comment=second, action="approve", actor=moderator)
    db.session.commit()
    assert len(db.session.scalars(select(OutboxEmail)).all()) == 1


def test_article_page_with_1000_comments_runs_a_fixed_number_of_queries(app, client):
    article = make_article()
    few = make_article()
    for target, count in ((few, 3), (article, 1000)):
        db.session.execute(db.metadata.tables["comments"].insert(), [
            {"article_id": target.id, "author_name": f"Reader {n}",
             "author_email": f"r{n}@example.com", "body": f"Comment {n}",
             "body_html": f"<p>Comment {n}</p>", "body_hash": f"{n:064d}", "status": "approved",
             "spam_score": 0, "spam_reasons": [], "depth": 0, "notify_replies": False,
             "created_at": article.created_at}
            for n in range(count)])
    db.session.commit()
    with recorded_statements() as small:
        client.get(f"/articles/{few.slug}")
    with recorded_statements() as large:
        page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert len(large) == len(small)
    assert "1000 comments" in page and page.count('class="comment"') == 1000


def test_the_thread_is_rendered_once_and_refreshed_when_it_changes(client):
    from crm.articles.models import ThreadCache

    article = make_article()
    first = make_comment(article, body="First approved")
    moderator = make_user(role="moderator")
    assert "First approved" in client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert db.session.get(ThreadCache, article.id) is not None  # stored by the first view
    held = make_comment(article, body="Second, held", status="pending")
    moderate(db.session, comment=held, action="approve", actor=moderator)
    db.session.commit()
    assert db.session.get(ThreadCache, article.id).html is None  # approval cleared it
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "Second, held" in page and "2 comments" in page
    assert "Second, held" in db.session.get(ThreadCache, article.id).html  # stored again
    moderate(db.session, comment=first, action="spam", actor=moderator)
    db.session.commit()
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "First approved" not in page and "1 comment" in page


@pytest.mark.parametrize("stored_before", [False, True])
def test_a_moderation_during_a_thread_render_does_not_leave_the_old_thread_cached(
        client, monkeypatch, stored_before):
    """A page view reads the thread, a moderator marks a comment spam and commits, then the
    view stores what it rendered: that stale thread was served until the next moderation,
    the spam in full view."""
    from sqlalchemy.orm import Session

    from crm.articles import thread_cache
    from crm.articles.models import Comment

    article = make_article()
    spam = make_comment(article, body="Cheap pills here")
    spam_id = spam.id
    moderator = make_user(role="moderator")
    if stored_before:  # a thread stored, then marked changed by an approval
        client.get(f"/articles/{article.slug}")
        moderate(db.session, comment=make_comment(article, status="pending", body="Held"),
                 action="approve", actor=moderator)
        db.session.commit()
    render = thread_cache.render_template

    def render_then_moderate(*args, **kwargs):
        html = render(*args, **kwargs)
        monkeypatch.setattr(thread_cache, "render_template", render)  # once
        with Session(db.engine) as other:  # another request, committed meanwhile
            moderate(other, comment=other.get(Comment, spam_id), action="spam",
                     actor=other.merge(moderator))
            other.commit()
        return html

    monkeypatch.setattr(thread_cache, "render_template", render_then_moderate)
    assert "Cheap pills here" in client.get(f"/articles/{article.slug}").get_data(as_text=True)
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "Cheap pills here" not in page
    assert f"{int(stored_before)} comment" in page
