"""A reader's personal data, erased at their request from the moderation screen: their
comments stay as "Anonymous", and their details go from the emails about them."""

import html
import uuid

from sqlalchemy import select

from crm.articles.comments import post_comment
from crm.articles.models import Comment
from crm.articles.moderation import moderate
from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.notifications.models import EmailStatus, OutboxEmail
from tests.factories import make_article, make_user, quote_request, seed_catalog, submit


def post(article, name, email, body, parent=None, notify=False):
    return post_comment(db.session, article=article, author_name=name, author_email=email,
                        author_url="https://ana.example" if name.startswith("Ana") else None,
                        body=body, parent_id=parent and parent.id, notify_replies=notify,
                        submission_key=uuid.uuid4().hex, seconds_to_fill=30, honeypot="",
                        ip="192.0.2.7", user_agent="pytest", min_fill_seconds=0)


def stored_emails() -> str:
    return " ".join(f"{e.recipient} {e.subject} {e.body_text} {e.body_html}"
                    for e in db.session.scalars(select(OutboxEmail)))


def test_an_admin_erases_a_reader_who_asked(app, client, auth):
    moderator = make_user(role="moderator")
    first, second = make_article(), make_article()
    ana = post(first, "Ana Kowalska", "Ana.K@Acme.example", "Is USP grade vegan?", notify=True)
    again = post(second, "Ana K.", "ana.k@acme.example", "Great article on glycine.")
    for comment in (ana, again):  # a held alert each
        moderate(db.session, comment=comment, action="approve", actor=moderator)
    db.session.commit()
    rita = post(first, "Rita Reader", "rita@example.com", "It is.", parent=ana)
    moderate(db.session, comment=rita, action="approve", actor=moderator)  # tells Ana (pending)
    db.session.commit()
    assert "Ana Kowalska" in stored_emails() and "ana.k@acme.example" in stored_emails()

    auth.login("admin")
    page = html.unescape(client.get(f"/dashboard/moderation/{ana.id}").get_data(as_text=True))
    assert "Download their data" in page and "Erase it" in page
    response = client.post(f"/dashboard/moderation/{ana.id}/erase-author",
                           data={"confirm_email": "someone@else.example"},
                           follow_redirects=True)
    assert "Type the author's email address exactly" in html.unescape(
        response.get_data(as_text=True))
    assert ana.author_name == "Ana Kowalska"
    response = client.post(f"/dashboard/moderation/{ana.id}/erase-author",
                           data={"confirm_email": " ana.k@acme.example "}, follow_redirects=True)
    assert "2 comments now signed “Anonymous”" in html.unescape(response.get_data(as_text=True))

    for comment in (ana, again):
        assert (comment.author_name, comment.author_email, comment.author_url, comment.ip,
                comment.user_agent, comment.notify_replies) == (
            "Anonymous", "erased@erased.invalid", None, None, None, False)
    assert rita.author_name == "Rita Reader" and rita.ip == "192.0.2.7"
    emails = stored_emails()
    for detail in ("Ana Kowalska", "Ana K.", "ana.k@acme.example", "https://ana.example"):
        assert detail not in emails, detail
    notice = db.session.scalar(select(OutboxEmail).where(
        OutboxEmail.template == "comment_reply"))
    assert notice.recipient == "erased@erased.invalid" and notice.status is EmailStatus.DEAD
    thread = client.get(f"/articles/{first.slug}").get_data(as_text=True)
    assert "Ana Kowalska" not in thread and "Anonymous" in thread
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "comment.author_erased"))
    assert event.detail == {"comments": 2}
    response = client.post(f"/dashboard/moderation/{ana.id}/erase-author",
                           data={"confirm_email": "erased@erased.invalid"},
                           follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    assert "already erased" in page and "Already erased." in page


def test_moderators_cannot_erase_and_a_customer_is_erased_from_their_lead(app, client, auth):
    seed_catalog()
    make_user(role="sales")
    lead = submit(quote_request(email="ana.k@acme.example")).lead
    comment = post(make_article(), "Ana Kowalska", "ana.k@acme.example", "Hello.")
    db.session.commit()
    auth.login("moderator")
    page = client.get(f"/dashboard/moderation/{comment.id}").get_data(as_text=True)
    assert "Erase the author" not in page
    assert client.post(f"/dashboard/moderation/{comment.id}/erase-author",
                       data={"confirm_email": "ana.k@acme.example"}).status_code == 403
    auth.logout()
    auth.login("admin")
    response = client.post(f"/dashboard/moderation/{comment.id}/erase-author",
                           data={"confirm_email": "ana.k@acme.example"}, follow_redirects=True)
    assert f'<a href="/dashboard/leads/{lead.id}">their lead</a>' in response.get_data(
        as_text=True)
    assert db.session.get(Comment, comment.id).author_name == "Ana Kowalska"


def test_an_admin_downloads_what_is_held_about_a_reader(app, client, auth):
    first = make_article(title="Glycine in sleep formulas")
    ana = post(first, "Ana Kowalska", "ana.k@acme.example", "Is USP grade vegan?", notify=True)
    moderate(db.session, comment=ana, action="approve", actor=make_user(role="moderator"))
    db.session.commit()
    auth.login("moderator")
    assert client.post(f"/dashboard/moderation/{ana.id}/author-data").status_code == 403
    auth.logout()
    admin = auth.login("admin")
    response = client.post(f"/dashboard/moderation/{ana.id}/author-data")
    assert response.status_code == 200 and "attachment" in response.headers[
        "Content-Disposition"]
    data = response.get_json()
    [comment] = data["article_comments"]
    assert comment["article"] == "Glycine in sleep formulas" and comment["ip_address"] == (
        "192.0.2.7") and comment["emails_about_replies"] is True
    assert data["emails_to_them"] == []  # nobody replied yet
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "comment.author_exported"))
    assert event.actor_id == admin.id and event.object_id == ana.id
