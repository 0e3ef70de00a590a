"""Posting a comment through the public form: screening, idempotency, after-posting view."""

import re

import pytest
from sqlalchemy import select

from crm.articles.comments import moderation_settings
from crm.articles.models import Comment, CommentStatus
from crm.extensions import db
from crm.notifications.models import OutboxEmail
from tests.conftest import error_summary
from tests.factories import make_article, make_comment, make_user


def _ticket(client, article):
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    return re.search(r'name="ticket" type="hidden" value="([^"]+)"', page).group(1)


def _post(client, article, ticket=None, ip="127.0.0.1", **fields):
    data = {"author_name": "Ana Formulator", "author_email": "ana@brand.example",
            "author_url": "", "body": "How does L-serine behave in a gummy?",
            "ticket": ticket or _ticket(client, article)}
    data.update(fields)
    return client.post(f"/articles/{article.slug}/comments", data=data,
                       environ_base={"REMOTE_ADDR": ip})


def _comments():
    return db.session.scalars(select(Comment).order_by(Comment.id)).all()


def test_a_comment_waits_for_moderation_and_only_its_author_sees_it(app, client):
    article = make_article()
    response = _post(client, article)
    assert response.status_code == 302
    [comment] = _comments()
    assert response.headers["Location"].endswith(f"/articles/{article.slug}#comment-{comment.id}")
    assert comment.status is CommentStatus.PENDING
    assert comment.spam_reasons == ["new comments wait for a moderator"]
    assert comment.ip == "127.0.0.1" and comment.author_email == "ana@brand.example"
    mine = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "awaiting moderation" in mine and "behave in a gummy" in mine
    assert f'id="comment-{comment.id}"' in mine
    stranger = app.test_client().get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "behave in a gummy" not in stranger
    assert "0 comments" in stranger


def test_the_user_agent_is_kept_as_one_clean_line(client):
    article = make_article()
    data = {"author_name": "Ana Formulator", "author_email": "ana@brand.example",
            "body": "Does glycine cake?", "ticket": _ticket(client, article)}
    client.post(f"/articles/{article.slug}/comments", data=data,
                headers={"User-Agent": "Mozilla/5.0\x00 (X11)" + "x" * 400})
    [comment] = _comments()
    assert comment.user_agent == ("Mozilla/5.0 (X11)" + "x" * 400)[:300]


def test_held_comment_alerts_the_moderators(client):
    moderator = make_user(role="moderator")
    make_user(role="sales")
    _post(client, make_article())
    emails = db.session.scalars(select(OutboxEmail)).all()
    assert [(e.template, e.recipient) for e in emails] == [("comment_held", moderator.email)]
    assert "/dashboard/moderation/" in emails[0].body_text
    assert emails[0].related_type == "comments"


def test_resent_form_stores_one_comment(client):
    article = make_article()
    ticket = _ticket(client, article)
    first = _post(client, article, ticket=ticket)
    second = _post(client, article, ticket=ticket)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(_comments()) == 1


def test_same_body_from_same_email_within_a_day_is_refused(client):
    article = make_article()
    _post(client, article)
    response = _post(client, article, body="  how does l-serine   behave in a GUMMY? ")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = page[page.index('id="error-summary"'):]  # where the page opens, with the focus
    assert "<li>You have already posted this comment.</li>" in summary[:summary.index("</div>")]
    assert page.count("You have already posted this comment.") == 1
    assert len(_comments()) == 1


def test_forged_or_missing_ticket_is_a_form_error(client):
    article = make_article()
    response = _post(client, article, ticket="forged.ticket")
    assert response.status_code == 400
    assert b"This form has expired" in response.data
    assert _comments() == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("author_name", "", b"Tell us your name."),
    ("author_email", "not-an-email", b"Enter a valid email address."),
    ("author_name", "x" * 101, b"Use at most 100 characters."),
    ("author_email", "a" * 250 + "@example.com", b"Use at most 254 characters."),
    ("author_url", "https://example.com/" + "x" * 200, b"Use at most 200 characters."),
    ("body", "y" * 5001, b"Use at most 5,000 characters."),
    ("body", "", b"Write your comment."),
    ("author_url", "javascript:alert(1)", b"starting with http:// or https://"),
    ("author_name", "Eve\r\nBcc: x@example.com", b"single line without control characters"),
    # Only spaces, or only invisible direction marks, is no name and no comment.
    ("author_name", "   ", b"Tell us your name."),
    ("author_name", "\u202e\u2066", b"Tell us your name."),
    ("body", "  \n\t \n ", b"Write your comment."),
    ("body", "\u202e", b"Write your comment."),
])
def test_bad_input_gets_a_message_on_the_form_and_saves_nothing(client, field, value, message):
    article = make_article()
    response = _post(client, article, **{field: value})
    assert response.status_code == 400
    assert message in response.data
    assert _comments() == []


def test_a_comment_with_errors_is_summed_up_at_the_top_of_the_form(client):
    article = make_article()
    assert 'id="error-summary"' not in client.get(f"/articles/{article.slug}").get_data(
        as_text=True)
    response = _post(client, article, author_name="", author_email="not-an-email",
                     parent_id="abc")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    start = page.index('id="error-summary"')
    assert page.index('id="comment-form"') < start < page.index("Leave a comment")
    summary = error_summary(page)
    assert "Your comment was not posted" in summary and "autofocus" in summary
    assert '<a href="#author_name">Name: Tell us your name.</a>' in summary
    assert '<a href="#author_email">Email: Enter a valid email address.</a>' in summary
    # A reply's id is a hidden input: its message, with no link to a field it cannot focus.
    assert "<li>Not a valid integer value.</li>" in summary
    assert _comments() == []


def test_honeypot_sends_the_comment_to_spam(client):
    article = make_article()
    _post(client, article, homepage="http://spam.example")
    [comment] = _comments()
    assert comment.status is CommentStatus.SPAM
    assert "honeypot" in comment.spam_reasons[0] and comment.spam_score >= 10
    # The spammer is shown the same "awaiting moderation" as anyone: nothing to learn.
    assert b"awaiting moderation" in client.get(f"/articles/{article.slug}").data


def test_too_fast_is_spam(make_app):
    app = make_app(CRM_MIN_FILL_SECONDS=30)
    client = app.test_client()
    _post(client, make_article())
    [comment] = _comments()
    assert comment.status is CommentStatus.SPAM
    assert "after it was served" in comment.spam_reasons[0]


def test_rules_from_the_settings(client):
    settings = moderation_settings(db.session)
    settings.moderation_words = ["discount"]
    settings.block_words = ["casino"]
    settings.blocked_emails = ["bad@spam.example"]
    settings.blocked_ips = ["198.51.100.7"]
    settings.max_links = 1
    db.session.commit()
    article = make_article()
    _post(client, article, body="Any discount on 500 kg?", author_email="a@x.example")
    _post(client, article, body="Best CASINO online", author_email="b@x.example")
    _post(client, article, body="Hello there", author_email="BAD@spam.example")
    _post(client, article, body="see https://a.example and https://b.example",
          author_email="c@x.example")
    _post(client, article, body="from a blocked address", author_email="d@x.example",
          ip="198.51.100.7")
    statuses = [(c.status, c.spam_reasons[0]) for c in _comments()]
    assert statuses[0] == (CommentStatus.PENDING, "moderation word: discount")
    assert statuses[1] == (CommentStatus.SPAM, "blocked word: casino")
    assert statuses[2] == (CommentStatus.SPAM, "blocked email address")
    assert statuses[3] == (CommentStatus.PENDING, "2 links (more than 1)")
    assert statuses[4] == (CommentStatus.SPAM, "blocked IP address")


def test_known_authors_are_approved_only_when_admins_allow_it(client):
    article = make_article()
    make_comment(article, author_email="ana@brand.example")
    _post(client, article, body="second thoughts")
    assert _comments()[-1].status is CommentStatus.PENDING
    moderation_settings(db.session).auto_approve_known_authors = True
    db.session.commit()
    _post(client, article, body="third thoughts")
    newest = _comments()[-1]
    assert newest.status is CommentStatus.APPROVED
    assert newest.spam_reasons == ["author has an approved comment"]


def test_reply_links_fill_parent_and_depth_is_capped(client):
    article = make_article()
    top = make_comment(article)
    child = make_comment(article, parent_id=top.id, depth=1)
    grandchild = make_comment(article, parent_id=child.id, depth=2)
    page = client.get(f"/articles/{article.slug}?reply_to={grandchild.id}").get_data(as_text=True)
    assert f'name="parent_id" value="{grandchild.id}"' in page
    _post(client, article, parent_id=str(grandchild.id), body="deeper")
    deeper = _comments()[-1]
    assert deeper.depth == 2 and deeper.parent_id == child.id  # a sibling at the deepest level
    _post(client, article, parent_id=str(top.id), body="a reply")
    assert _comments()[-1].depth == 1 and _comments()[-1].parent_id == top.id


def test_reply_to_a_comment_not_approved_is_refused(client):
    article = make_article()
    held = make_comment(article, status="pending")
    response = _post(client, article, parent_id=str(held.id))
    assert response.status_code == 400
    assert b"not available" in response.data


def test_a_reply_to_an_id_no_comment_can_have_is_ignored_or_refused(client):
    article = make_article()
    make_comment(article)
    for beyond in (str(10**20), str(-(10**20))):  # more than a 64-bit id column holds
        response = client.get(f"/articles/{article.slug}?reply_to={beyond}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Leave a comment" in page and 'name="parent_id"' not in page
        response = _post(client, article, parent_id=beyond)
        assert response.status_code == 400
        assert "The comment you are replying to is not available." in response.get_data(
            as_text=True)
    assert len(_comments()) == 1


def test_closed_comments(client):
    article = make_article(comments_open=False)
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "Comments are closed" in page and 'name="author_email"' not in page
    response = client.post(f"/articles/{article.slug}/comments",
                           data={"author_name": "a", "author_email": "a@b.example",
                                 "body": "x", "ticket": "x"})
    assert response.status_code == 400
    assert _comments() == []


def test_comments_on_a_draft_are_404(client):
    article = make_article(published=False)
    assert _post(client, article, ticket="x").status_code == 404


def test_rate_limit_per_ip_says_when_to_retry(make_app):
    app = make_app(CRM_COMMENT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    article = make_article()
    for n in range(2):
        assert _post(client, article, body=f"comment {n}").status_code == 302
    response = _post(client, article, body="one too many")
    assert response.status_code == 429
    assert b"try again in" in response.data
    assert len(_comments()) == 2


def test_csrf_is_enforced_on_the_comment_form(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    article = make_article()
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert _post(client, article).status_code == 400
    assert _comments() == []
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert _post(client, article, csrf_token=token).status_code == 302


def test_the_operation_refuses_a_blank_name_or_comment_without_http(app):
    """Callers other than the form (CLI, imports) get the same refusal, not an empty row."""
    from crm.articles.comments import CommentRejected, post_comment

    article = make_article()
    for name, body in (("  ", "Real words."), ("Ana", "\u202e \u2069")):
        with pytest.raises(CommentRejected, match="Write your name and your comment."):
            post_comment(db.session, article=article, author_name=name,
                         author_email="ana@brand.example", author_url=None, body=body,
                         parent_id=None, notify_replies=False, submission_key=f"k-{name}",
                         seconds_to_fill=30, honeypot="", ip=None, user_agent=None,
                         min_fill_seconds=0)
    assert _comments() == []


def test_a_comment_deleted_for_ever_leaves_its_id_unused(app, client):
    """SQLite gave the next comment the id of the newest one deleted: the deleter's browser
    then listed a stranger's held comment as its own, the new comment's moderator alert was
    taken for the old one's (same key) and never queued, and the old history showed on it."""
    from crm.articles.moderation import delete_comment, moderate

    moderator = make_user(role="moderator")
    article = make_article()
    _post(client, article, body="Spam to be deleted.")
    [gone] = _comments()
    gone_id = gone.id
    moderate(db.session, comment=gone, action="trash", actor=moderator)
    delete_comment(db.session, comment=gone, actor=moderator)
    db.session.commit()

    stranger = app.test_client()
    _post(stranger, article, body="My own question, held.", author_email="bo@brand.example")
    [new] = _comments()
    assert new.id != gone_id
    assert "My own question, held." not in client.get(f"/articles/{article.slug}").get_data(
        as_text=True)
    alerts = db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.template == "comment_held", OutboxEmail.related_id == new.id)).all()
    assert [email.recipient for email in alerts] == [moderator.email]


def test_a_reply_past_the_deepest_level_emails_the_author_it_answers(client):
    """It hangs beside the comment it answers (under that comment's parent); the email goes
    to the author it answers, not to the parent's, who was not addressed."""
    from crm.articles.moderation import moderate, reply_as_staff

    moderator = make_user(role="moderator")
    article = make_article()
    top = make_comment(article, author_email="top@brand.example", notify_replies=True)
    child = make_comment(article, parent_id=top.id, depth=1, notify_replies=True,
                         author_email="child@brand.example")
    deepest = make_comment(article, parent_id=child.id, depth=2, notify_replies=True,
                           author_email="deepest@brand.example", author_name="Dee")
    _post(client, article, parent_id=str(deepest.id), body="Answering Dee.")
    reader_reply = _comments()[-1]
    assert reader_reply.parent_id == child.id and reader_reply.depth == 2
    moderate(db.session, comment=reader_reply, action="approve", actor=moderator)
    staff_reply = reply_as_staff(db.session, parent=deepest, body="Staff answer to Dee.",
                                 actor=moderator)
    db.session.commit()
    assert staff_reply.parent_id == child.id
    replies = db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.template == "comment_reply").order_by(OutboxEmail.id)).all()
    assert [(e.recipient, e.related_id) for e in replies] == [
        ("deepest@brand.example", reader_reply.id), ("deepest@brand.example", staff_reply.id)]
    assert "Hello Dee," in replies[0].body_text
