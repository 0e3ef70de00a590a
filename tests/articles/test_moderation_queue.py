"""The moderation queue: tabs, search, filters, paging, row and bulk actions, edits, replies,
blocking, settings, who may see it, and what it costs in queries."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.articles.comments import moderation_settings
from crm.articles.models import Comment, CommentStatus
from crm.audit.models import AuditEvent
from crm.core.types import utcnow
from crm.extensions import db
from tests.conftest import recorded_statements
from tests.factories import DEFAULT_PASSWORD, make_article, make_comment, make_user

QUEUE = "/dashboard/moderation/"


def page_text(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def listed_ids(page):
    """The comments listed in the queue, in order (one checkbox each)."""
    return [int(found) for found in re.findall(r'name="ids" value="(\d+)"', page)]


def tab_counts(page):
    return {status: int(count) for status, count in
            re.findall(r'data-status="(\w+)">(\d+)</span>', page)}


def events_for(comment_id):
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "comments",
                                 AuditEvent.object_id == comment_id).order_by(AuditEvent.id)
    ).all()


def ago(minutes):
    return utcnow() - timedelta(minutes=minutes)


# --- the list -----------------------------------------------------------------------------

def test_moderator_sees_the_pending_tab_with_counts_for_all_four(client, auth):
    auth.login("moderator")
    older = make_comment(status="pending", body="Is glycine stable at pH 3?", created_at=ago(9))
    newer = make_comment(status="pending", spam_score=4,
                         spam_reasons=["2 links", "word: casino"], created_at=ago(1))
    make_comment(status="approved")
    for _ in range(3):
        make_comment(status="spam")
    page = page_text(client, QUEUE)
    assert tab_counts(page) == {"pending": 2, "approved": 1, "spam": 3, "trash": 0}
    assert 'aria-current="page" href="/dashboard/moderation/?status=pending"' in page
    assert listed_ids(page) == [newer.id, older.id]  # newest first
    assert "Is glycine stable at pH 3?" in page
    assert newer.author_email in page and "192.0.2.10" in page  # staff see email and IP
    assert "word: casino" in page and "Score 4" in page
    assert older.article.title in page
    assert ">9 min</time>" in page and ">1 min</time>" in page
    for label in ("Approve", "Spam", "Trash", "Edit", "Reply", "Block email", "Block IP"):
        assert f">{label}<" in page
    assert f'formaction="/dashboard/moderation/{newer.id}/approve"' in page
    assert f'formaction="/dashboard/moderation/{newer.id}/restore"' not in page
    assert f'<label class="visually-hidden" for="select-{newer.id}">Select comment by ' in page


@pytest.mark.parametrize("status", ["approved", "spam", "trash"])
def test_each_tab_lists_its_own_comments(client, auth, status):
    auth.login("moderator")
    comments = {s.value: make_comment(status=s.value) for s in CommentStatus}
    page = page_text(client, f"{QUEUE}?status={status}")
    assert listed_ids(page) == [comments[status].id]
    assert 'aria-current="page" href="/dashboard/moderation/?status=' + status in page


def test_an_unknown_status_shows_the_pending_tab(client, auth):
    auth.login("moderator")
    pending = make_comment(status="pending")
    make_comment(status="approved")
    assert listed_ids(page_text(client, f"{QUEUE}?status=bogus")) == [pending.id]


@pytest.mark.parametrize("query", ["L-SERINE dosing", "Zoë Query", "FINDME@example.org",
                                   "203.0.113.77"])
def test_search_matches_text_author_email_and_ip(client, auth, query):
    auth.login("moderator")
    wanted = make_comment(status="pending", body="A note on l-serine dosing in capsules.",
                          author_name="Zoë Query", author_email="findme@example.org",
                          ip="203.0.113.77")
    make_comment(status="pending", body="Something else entirely.")
    page = page_text(client, f"{QUEUE}?status=pending&q={query}")
    assert listed_ids(page) == [wanted.id]


def test_search_treats_like_wildcards_as_text(client, auth):
    auth.login("moderator")
    wanted = make_comment(status="pending", body="It rose by 100% in a week.")
    make_comment(status="pending", body="It rose by 1000 in a week.")
    assert listed_ids(page_text(client, f"{QUEUE}?q=100%25")) == [wanted.id]


def test_article_filter_narrows_the_list(client, auth):
    auth.login("moderator")
    glycine, serine = make_article(title="Glycine in gummies"), make_article(title="Serine")
    wanted = make_comment(glycine, status="pending")
    make_comment(serine, status="pending")
    page = page_text(client, f"{QUEUE}?article={glycine.id}")
    assert listed_ids(page) == [wanted.id]
    assert f'<option value="{glycine.id}" selected>Glycine in gummies</option>' in page
    # an article that is not a choice filters nothing
    assert len(listed_ids(page_text(client, f"{QUEUE}?article=999999"))) == 2


def test_paging_shows_50_a_page_and_keeps_the_filters(client, auth):
    auth.login("moderator")
    article = make_article()
    comments = [make_comment(article, status="pending", body=f"Paged comment {n}.",
                             created_at=ago(n)) for n in range(51)]
    make_comment(status="pending", body="Paged comment elsewhere.")  # another article
    first = page_text(client, f"{QUEUE}?q=paged&article={article.id}")
    assert listed_ids(first) == [c.id for c in comments[:50]]
    older = re.search(r'rel="next" href="([^"]+)"', first)
    next_url = html.unescape(older.group(1))
    assert "q=paged" in next_url and f"article={article.id}" in next_url and "page=2" in next_url
    second = page_text(client, next_url)
    assert listed_ids(second) == [comments[50].id]
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_the_queue_runs_the_same_queries_for_5_and_40_comments(client, auth):
    auth.login("moderator")
    for _ in range(5):
        make_comment(status="pending", spam_reasons=["1 link"])

    def statements_for(path):
        with recorded_statements() as statements:
            page = page_text(client, path)
        return page, statements

    page, few = statements_for(QUEUE)
    assert len(listed_ids(page)) == 5
    for n in range(35):
        parent = make_comment(status="approved") if n % 5 == 0 else None
        make_comment(status="pending", parent_id=parent.id if parent else None)
    page, many = statements_for(QUEUE)
    assert len(listed_ids(page)) == 40
    assert len(many) == len(few)
    assert not any("body_html" in sql or "user_agent" in sql for sql in many)
    assert sum("GROUP BY" in sql for sql in many) == 1


def test_user_written_text_is_escaped_in_the_queue(client, auth):
    auth.login("moderator")
    make_comment(status="pending", body="<script>alert('x')</script> nice article",
                 author_name='Bob "the <b>builder</b>" O\'Neil')
    page = page_text(client, QUEUE)
    assert "<script>alert" not in page and "<b>builder" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; nice article" in page
    assert "Bob &#34;the &lt;b&gt;builder&lt;/b&gt;&#34; O&#39;Neil" in page


# --- one comment at a time -----------------------------------------------------------------

@pytest.mark.parametrize(("start", "action", "end"), [
    ("pending", "approve", "approved"),
    ("approved", "unapprove", "pending"),
    ("pending", "spam", "spam"),
    ("approved", "spam", "spam"),
    ("spam", "not_spam", "approved"),
    ("pending", "trash", "trash"),
    ("spam", "trash", "trash"),
    ("trash", "restore", "pending"),
])
def test_each_action_moves_the_comment_and_is_audited(client, auth, start, action, end):
    moderator = auth.login("moderator")
    comment = make_comment(status=start)
    back = f"{QUEUE}?status={start}&q=reader&page=2"
    response = client.post(f"{QUEUE}{comment.id}/{action}", data={"next": back})
    assert response.status_code == 302
    assert response.headers["Location"] == back  # tab, search and page are kept
    db.session.refresh(comment)
    assert comment.status.value == end
    assert comment.moderated_by_id == moderator.id and comment.moderated_at is not None
    [audit] = events_for(comment.id)
    assert audit.action == f"comment.{action}" and audit.actor_id == moderator.id
    assert audit.detail == {"before": start, "after": end}


def test_an_invalid_transition_flashes_an_error_and_changes_nothing(client, auth):
    auth.login("moderator")
    comment = make_comment(status="pending")
    response = client.post(f"{QUEUE}{comment.id}/restore", data={"next": QUEUE},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "A pending comment cannot be given “Restore”." in response.get_data(as_text=True)
    db.session.refresh(comment)
    assert comment.status is CommentStatus.PENDING and comment.moderated_at is None
    assert events_for(comment.id) == []
    response = client.post(f"{QUEUE}{comment.id}/explode", follow_redirects=True)
    assert response.status_code == 200 and "Unknown action" in response.get_data(as_text=True)


def test_an_unsafe_next_goes_back_to_the_queue(client, auth):
    auth.login("moderator")
    comment = make_comment(status="pending")
    response = client.post(f"{QUEUE}{comment.id}/approve",
                           data={"next": "https://evil.example/phish"})
    assert response.headers["Location"] == QUEUE


def test_a_missing_comment_is_404(client, auth):
    auth.login("moderator")
    assert client.post(f"{QUEUE}999999/approve").status_code == 404
    assert client.get(f"{QUEUE}999999").status_code == 404


def test_delete_forever_only_from_the_trash(client, auth):
    moderator = auth.login("moderator")
    pending, trashed = make_comment(status="pending"), make_comment(status="trash")
    response = client.post(f"{QUEUE}{pending.id}/delete", follow_redirects=True)
    assert "Only a comment in the trash can be deleted" in response.get_data(as_text=True)
    assert db.session.get(Comment, pending.id) is not None
    trash_page = page_text(client, f"{QUEUE}?status=trash")
    assert f'formaction="/dashboard/moderation/{trashed.id}/delete"' in trash_page
    trashed_id = trashed.id
    client.post(f"{QUEUE}{trashed_id}/delete")
    assert db.session.scalar(select(Comment.id).where(Comment.id == trashed_id)) is None
    [audit] = events_for(trashed_id)
    assert audit.action == "comment.deleted" and audit.actor_id == moderator.id


def test_bulk_approve_skips_what_is_already_approved(client, auth):
    moderator = auth.login("moderator")
    pending = [make_comment(status="pending") for _ in range(2)]
    approved = make_comment(status="approved")
    untouched = make_comment(status="pending")
    ids = [c.id for c in (*pending, approved)]
    response = client.post(f"{QUEUE}bulk", data={"ids": ids, "action": "approve",
                                                 "next": f"{QUEUE}?status=pending"},
                           follow_redirects=True)
    assert "2 comments approved, 1 skipped." in response.get_data(as_text=True)
    for comment in (*pending, approved, untouched):
        db.session.refresh(comment)
    assert all(c.status is CommentStatus.APPROVED for c in (*pending, approved))
    assert untouched.status is CommentStatus.PENDING
    assert [e.actor_id for c in pending for e in events_for(c.id)] == [moderator.id] * 2
    assert events_for(approved.id) == []


def test_bulk_without_a_selection_or_action_says_so(client, auth):
    auth.login("moderator")
    comment = make_comment(status="pending")
    page = client.post(f"{QUEUE}bulk", data={"action": "approve"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Select at least one comment." in page
    page = client.post(f"{QUEUE}bulk", data={"ids": [comment.id], "action": "nuke"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Not a valid choice" in page
    db.session.refresh(comment)
    assert comment.status is CommentStatus.PENDING


def test_bulk_skips_ids_no_comment_can_have(client, auth):
    auth.login("moderator")
    comment = make_comment(status="pending")
    beyond = [10**20, -(10**20)]  # more than a 64-bit id column holds
    response = client.post(f"{QUEUE}bulk", data={"ids": [comment.id, *beyond],
                                                 "action": "approve"}, follow_redirects=True)
    assert "1 comment approved, 2 skipped." in response.get_data(as_text=True)
    db.session.refresh(comment)
    assert comment.status is CommentStatus.APPROVED


def test_the_bulk_bar_offers_what_suits_the_tab(client, auth):
    auth.login("moderator")
    make_comment(status="trash")
    page = page_text(client, f"{QUEUE}?status=trash")
    bar = re.search(r'<select[^>]*id="bulk-action".*?</select>', page, re.S).group(0)
    assert re.findall(r'value="(\w+)"', bar) == ["restore", "delete"]


# --- the comment page, edits, replies, blocks ----------------------------------------------

def test_the_comment_page_shows_everything_and_its_history(client, auth):
    moderator = auth.login("moderator")
    parent = make_comment(status="approved", body="Which grade of B6 do you sell?")
    comment = make_comment(status="pending", parent_id=parent.id, depth=1,
                           user_agent="Mozilla/5.0 Test", spam_reasons=["moderation word"])
    client.post(f"{QUEUE}{comment.id}/approve")
    client.post(f"{QUEUE}{comment.id}/unapprove")
    page = page_text(client, f"{QUEUE}{comment.id}")
    for text in (comment.author_email, "192.0.2.10", "Mozilla/5.0 Test", comment.body_html,
                 "Which grade of B6 do you sell?", comment.article.title, "moderation word",
                 f"by {moderator.name}"):
        assert text in page
    history = page[page.index('id="history-heading"'):]
    assert history.index("Unapprove") < history.index("Approve")  # newest first
    assert f'action="/dashboard/moderation/{comment.id}/edit"' in page
    assert f'action="/dashboard/moderation/{comment.id}/reply"' in page


def test_edit_renders_the_body_again_escaped(client, auth):
    moderator = auth.login("moderator")
    comment = make_comment(status="pending")
    response = client.post(f"{QUEUE}{comment.id}/edit", data={
        "author_name": "Edited Name", "author_url": "https://example.org",
        "body": "Fixed typo <script>alert(1)</script>\nsee https://example.org"})
    assert response.headers["Location"] == f"{QUEUE}{comment.id}"
    db.session.refresh(comment)
    assert comment.author_name == "Edited Name" and comment.edited_at is not None
    assert "<script>" not in comment.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in comment.body_html
    assert '<a href="https://example.org"' in comment.body_html
    assert events_for(comment.id)[-1].actor_id == moderator.id


def test_edit_refuses_bad_values(client, auth):
    auth.login("moderator")
    comment = make_comment(status="pending", body="Original words.")
    assert "Original words." in page_text(client, f"{QUEUE}{comment.id}/edit")
    response = client.post(f"{QUEUE}{comment.id}/edit", data={
        "author_name": "x" * 101, "author_url": "javascript:alert(1)", "body": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Use at most 100 characters." in page and "http:// or https://" in page
    assert "The comment cannot be empty." in page
    db.session.refresh(comment)
    assert comment.body == "Original words." and comment.edited_at is None


def test_edit_refuses_a_name_or_body_of_invisible_marks_only(client, auth):
    auth.login("moderator")
    comment = make_comment(status="pending", author_name="Ana", body="Original words.")
    response = client.post(f"{QUEUE}{comment.id}/edit", data={
        "author_name": "\u202e", "author_url": "", "body": "\u2066\u2069"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Give the author&#39;s name." in page and "The comment cannot be empty." in page
    db.session.refresh(comment)
    assert (comment.author_name, comment.body) == ("Ana", "Original words.")


def test_a_staff_reply_is_published_at_once_and_marked_staff(client, auth):
    moderator = auth.login("moderator")
    parent = make_comment(status="pending", body="Do you ship samples?")
    response = client.post(f"{QUEUE}{parent.id}/reply",
                           data={"body": "Yes, 100 g samples ship within a week."})
    assert response.headers["Location"] == f"{QUEUE}{parent.id}"
    reply = db.session.scalar(select(Comment).where(Comment.parent_id == parent.id))
    assert reply.status is CommentStatus.APPROVED and reply.staff_author_id == moderator.id
    db.session.refresh(parent)
    assert parent.status is CommentStatus.APPROVED  # replying approves the parent
    public = page_text(client, f"/articles/{parent.article.slug}")
    reply_html = public[public.index(f'id="comment-{reply.id}"'):]
    assert "Yes, 100 g samples ship within a week." in reply_html
    assert '<span class="badge text-bg-primary ms-1">Staff</span>' in reply_html[:1000]


@pytest.mark.parametrize("body", ["  ", "\u202e\u202c"])
def test_an_empty_reply_is_refused(client, auth, body):
    auth.login("moderator")
    parent = make_comment(status="approved")
    response = client.post(f"{QUEUE}{parent.id}/reply", data={"body": body})
    assert response.status_code == 400
    assert "Write your reply." in response.get_data(as_text=True)
    assert db.session.scalar(select(Comment).where(Comment.parent_id == parent.id)) is None


def test_a_reply_to_spam_is_refused_and_stores_nothing(client, auth):
    auth.login("moderator")
    parent = make_comment(status="spam")
    assert 'id="reply-heading"' not in page_text(client, f"{QUEUE}{parent.id}")
    response = client.post(f"{QUEUE}{parent.id}/reply", data={"body": "Thanks!"},
                           follow_redirects=True)
    assert "Replies can be made only to pending or approved comments." in response.get_data(
        as_text=True)
    assert db.session.scalar(select(Comment).where(Comment.parent_id == parent.id)) is None
    assert events_for(parent.id) == []


def test_block_email_adds_it_to_the_settings_and_marks_spam(client, auth):
    auth.login("moderator")
    comment = make_comment(status="pending", author_email="spammer@example.net")
    response = client.post(f"{QUEUE}{comment.id}/block/email", data={"next": QUEUE},
                           follow_redirects=True)
    assert "spammer@example.net is blocked" in response.get_data(as_text=True)
    db.session.refresh(comment)
    assert comment.status is CommentStatus.SPAM
    assert moderation_settings(db.session).blocked_emails == ["spammer@example.net"]
    assert [e.action for e in events_for(comment.id)] == ["comment.block_email", "comment.spam"]


def test_block_ip_adds_it_and_an_unknown_kind_is_refused(client, auth):
    auth.login("moderator")
    comment = make_comment(status="approved", ip="198.51.100.9")
    client.post(f"{QUEUE}{comment.id}/block/ip")
    assert moderation_settings(db.session).blocked_ips == ["198.51.100.9"]
    other = make_comment(status="pending")
    response = client.post(f"{QUEUE}{other.id}/block/phone", follow_redirects=True)
    assert "nothing of that kind to block" in response.get_data(as_text=True)
    db.session.refresh(other)
    assert other.status is CommentStatus.PENDING


def test_a_block_says_what_it_did_and_the_moderator_can_undo_it(client, auth):
    auth.login("moderator")
    comment = make_comment(status="pending", author_email="ana@brand.example", ip="192.0.2.7")
    response = client.post(f"{QUEUE}{comment.id}/block/email", data={"next": QUEUE},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "ana@brand.example is blocked and the comment is in Spam." in page
    undo = f'action="{QUEUE}{comment.id}/unblock/email"'
    assert undo in page  # the undo, right in the message
    assert undo in page_text(client, f"{QUEUE}{comment.id}")  # and on the comment's page
    assert "Unblock email" in page_text(client, f"{QUEUE}?status=spam")

    response = client.post(f"{QUEUE}{comment.id}/unblock/email", data={"next": QUEUE},
                           follow_redirects=True)
    assert "ana@brand.example is no longer blocked." in response.get_data(as_text=True)
    assert moderation_settings(db.session).blocked_emails == []
    assert [e.action for e in events_for(comment.id)] == [
        "comment.block_email", "comment.spam", "comment.unblock_email"]
    page = page_text(client, f"{QUEUE}{comment.id}")
    assert f'action="{QUEUE}{comment.id}/block/email"' in page and undo not in page
    response = client.post(f"{QUEUE}{comment.id}/unblock/ip", follow_redirects=True)
    assert moderation_settings(db.session).blocked_ips == []  # harmless when not blocked


# --- settings -------------------------------------------------------------------------------

def test_admin_saves_the_settings_as_lists(client, auth):
    admin = auth.login("admin")
    assert 'href="/dashboard/moderation/settings"' in page_text(client, QUEUE)
    response = client.post(f"{QUEUE}settings", data={
        "max_links": "0",
        "moderation_words": "  casino \r\n\r\ncrypto\n casino\n",
        "block_words": "viagra",
        "blocked_emails": "Bad@Example.com\n\n",
        "blocked_ips": " 203.0.113.5 \n2001:db8::1",
        "auto_approve_known_authors": "y",
    })
    assert response.status_code == 302
    settings = moderation_settings(db.session)
    assert settings.max_links == 0
    assert settings.moderation_words == ["casino", "crypto"]
    assert settings.block_words == ["viagra"]
    assert settings.blocked_emails == ["bad@example.com"]
    assert settings.blocked_ips == ["203.0.113.5", "2001:db8::1"]
    assert settings.auto_approve_known_authors is True
    audit = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "moderation.settings_changed"))
    assert audit.actor_id == admin.id
    page = page_text(client, f"{QUEUE}settings")
    assert "casino\ncrypto</textarea>" in page


def test_settings_refuse_bad_values(client, auth):
    auth.login("admin")
    response = client.post(f"{QUEUE}settings", data={
        "max_links": "-1", "blocked_ips": "not-an-ip", "blocked_emails": "nobody"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Use a whole number from 0 to 1,000." in page
    assert "Not an IP address: not-an-ip" in page and "Not an email address: nobody" in page
    assert moderation_settings(db.session).max_links == 2


def test_moderators_may_not_open_the_settings(client, auth):
    auth.login("moderator")
    assert 'href="/dashboard/moderation/settings"' not in page_text(client, QUEUE)
    assert client.get(f"{QUEUE}settings").status_code == 403
    response = client.post(f"{QUEUE}settings", data={"max_links": "9"})
    assert response.status_code == 403
    assert moderation_settings(db.session).max_links == 2


def test_row_buttons_carry_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    moderator = make_user(role="moderator")
    comment = make_comment(status="pending")

    def token(page):
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)

    login = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": moderator.email, "password": DEFAULT_PASSWORD,
                                "csrf_token": token(login)})
    page = page_text(client, QUEUE)
    assert client.post(f"{QUEUE}{comment.id}/approve").status_code == 400  # no token
    response = client.post(f"{QUEUE}{comment.id}/approve",
                           data={"csrf_token": token(page), "next": QUEUE})
    assert response.status_code == 302
    db.session.refresh(comment)
    assert comment.status is CommentStatus.APPROVED


# --- who may use it --------------------------------------------------------------------------

def _moderation_requests(app, comment_id):
    """(method, path) of every moderation route, with a real comment id."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/dashboard/moderation"):
            continue
        path = (rule.rule.replace("<int:comment_id>", str(comment_id))
                .replace("<action>", "approve").replace("<what>", "email"))
        for method in ("GET", "POST"):
            if method in rule.methods:
                yield method, path


def test_sales_gets_403_on_every_moderation_page(app, client, auth):
    comment = make_comment(status="pending")
    auth.login("sales")
    requests = list(_moderation_requests(app, comment.id))
    assert len(requests) >= 10
    for method, path in requests:
        response = client.open(path, method=method, data={"ids": [comment.id],
                                                          "action": "approve", "body": "x"})
        assert response.status_code == 403, (method, path)
    db.session.refresh(comment)
    assert comment.status is CommentStatus.PENDING


def test_anonymous_visitors_are_sent_to_login(app, client):
    comment = make_comment(status="pending")
    for method, path in _moderation_requests(app, comment.id):
        response = client.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/login"), (method, path)
    db.session.refresh(comment)
    assert comment.status is CommentStatus.PENDING


def test_admins_use_the_queue_too(client, auth):
    admin = auth.login("admin")
    comment = make_comment(status="pending")
    assert listed_ids(page_text(client, QUEUE)) == [comment.id]
    client.post(f"{QUEUE}{comment.id}/spam")
    db.session.refresh(comment)
    assert comment.status is CommentStatus.SPAM and comment.moderated_by_id == admin.id
