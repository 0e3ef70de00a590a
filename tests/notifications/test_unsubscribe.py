"""The one-click unsubscribe: the link in every stream email, its page and its POST."""

import base64
import re

from sqlalchemy import func, select

from crm.extensions import db
from crm.notifications import notify
from crm.notifications.models import EmailOptOut, OutboxEmail
from crm.notifications.operations import is_opted_out, unsubscribe_token
from tests.conftest import deliver_all

READER = "reader@example.com"
STREAM = "comment-replies"


def _queue(key="k1", to=READER, stream=STREAM):
    email = notify(db.session, template="test_email", to=to, key=key, stream=stream)
    db.session.commit()
    return email


def _unsubscribe_path(email: OutboxEmail) -> str:
    url = email.headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://crm.example.test/unsubscribe/")
    return url.removeprefix("https://crm.example.test")


def _opt_outs() -> int:
    return db.session.scalar(select(func.count()).select_from(EmailOptOut))


def _outbox() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxEmail))


def test_stream_email_carries_both_unsubscribe_headers(app):
    email = _queue()
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = _unsubscribe_path(email)
    assert f"https://crm.example.test{path}" in email.body_html


def test_get_shows_the_masked_address_and_changes_nothing(app, client):
    path = _unsubscribe_path(_queue())
    for _ in range(2):  # a mail scanner may follow the link more than once
        response = client.get(path)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "r***@example.com" in page
        assert "replies to your comment" in page
        assert f'<form method="post" action="{path}">' in page
        assert ">Unsubscribe</button>" in page
        assert READER not in page
    assert _opt_outs() == 0
    assert not is_opted_out(db.session, email=READER, stream=STREAM)
    assert _queue(key="k2") is not None


def test_post_opts_out_and_later_emails_are_not_queued(app, client):
    path = _unsubscribe_path(_queue())
    response = client.post(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "You are unsubscribed" in page
    assert "r***@example.com" in page
    assert READER not in page
    assert is_opted_out(db.session, email=READER, stream=STREAM)

    assert _queue(key="k2") is None
    assert _queue(key="k3", to=READER.upper()) is None
    assert _outbox() == 1
    # Only that kind of email stops; others to the same address still go.
    assert _queue(key="k4", stream="digests") is not None
    assert _outbox() == 2


def test_posting_twice_is_harmless(app, client):
    path = _unsubscribe_path(_queue())
    assert client.post(path).status_code == 200
    assert client.post(path).status_code == 200
    assert _opt_outs() == 1
    # Coming back to the link shows the state instead of offering the button again.
    page = client.get(path).get_data(as_text=True)
    assert "You are unsubscribed" in page
    assert "<form" not in page.split('id="main"')[1]


def test_one_click_post_from_a_mail_client_needs_no_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    path = _unsubscribe_path(_queue())
    page = client.get(path).get_data(as_text=True)
    assert re.search(r'name="csrf_token" value="[^"]+"', page)  # the page's own form has one
    # RFC 8058: the client POSTs this body, with no cookie and no token.
    response = app.test_client().post(path, data="List-Unsubscribe=One-Click",
                                      content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert is_opted_out(db.session, email=READER, stream=STREAM)


def test_tampered_token_is_not_found(app, client):
    path = _unsubscribe_path(_queue())
    token = path.removeprefix("/unsubscribe/")
    middle = len(token) // 2
    altered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    other = unsubscribe_token("victim@example.com", STREAM)
    spliced = token[:middle] + other[middle:]
    for bad in (altered, spliced, token[:-4], "nonsense"):
        assert client.get(f"/unsubscribe/{bad}").status_code == 404
        response = client.post(f"/unsubscribe/{bad}")
        assert response.status_code == 404
        assert b"Page not found" in response.data
    assert _opt_outs() == 0


def test_the_link_does_not_reveal_the_address(app):
    """Links end up in logs, proxies and forwarded mail: the token is encrypted, not only
    signed, so neither the address nor its stream can be read from it."""
    token = _unsubscribe_path(_queue()).removeprefix("/unsubscribe/")
    padded = token + "=" * (-len(token) % 4)
    for text in (token, base64.urlsafe_b64decode(padded).decode("latin-1")):
        assert "reader" not in text and "example" not in text and "comment" not in text
    assert unsubscribe_token(READER, STREAM) != unsubscribe_token(READER, STREAM)  # random IV


def test_unknown_stream_is_named_by_its_name(app, client):
    path = _unsubscribe_path(_queue(stream="quarterly-news"))
    page = client.get(path).get_data(as_text=True)
    assert "quarterly-news" in page
    assert "r***@example.com" in page


def test_unsubscribe_headers_arrive_over_smtp(mail_app, smtp_server):
    queued = _queue()
    expected = queued.headers["List-Unsubscribe"]
    deliver_all(mail_app)
    [received] = smtp_server.handler.wait_for(1)
    message = received["message"]
    # A long header may be folded; the whitespace that folding leaves is not part of the value.
    assert str(message["List-Unsubscribe"]).strip() == expected
    assert str(message["List-Unsubscribe-Post"]).strip() == "List-Unsubscribe=One-Click"
