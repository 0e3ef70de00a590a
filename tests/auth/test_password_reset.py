"""Resetting a forgotten password: the request, the emailed link, the new password."""

import re
import time
from types import SimpleNamespace

import itsdangerous.timed
import pytest
from sqlalchemy import select

from crm.auth import operations
from crm.auth.models import User
from crm.extensions import db
from crm.notifications.models import OutboxEmail
from tests.conftest import deliver_all
from tests.factories import DEFAULT_PASSWORD, make_user

BASE_URL = "https://crm.example.test"
RESET_LINK = re.compile(r"https://crm\.example\.test/login/reset/[A-Za-z0-9_.\-]+")
SENT = "If an account exists for that address, we have sent a link to reset its password."
NEW_PASSWORD = "a brand new long password"


def _reset_emails():
    return db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.template == "password_reset")
    ).all()


def _request_link(client, email, **kwargs) -> str:
    response = client.post("/login/forgot", data={"email": email}, **kwargs)
    assert response.status_code == 302
    [email_row] = _reset_emails()
    return RESET_LINK.search(email_row.body_text).group(0)


def _path(link: str) -> str:
    return link.removeprefix(BASE_URL)


def _token_signed_minutes_ago(monkeypatch, user, minutes: int) -> str:
    signed_at = time.time() - minutes * 60
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: signed_at))
        return operations.password_reset_token(user)


def _assert_refused(response):
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This link is invalid or expired" in page
    assert 'href="/login/forgot"' in page
    assert 'name="new_password"' not in page


def test_login_page_links_to_the_forgot_page(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/forgot">Forgot your password?</a>' in page
    assert client.get("/login/forgot").status_code == 200


def test_known_and_unknown_addresses_get_the_same_answer(app):
    user = make_user(role="sales")
    answers = []
    for email in (user.email, "nobody@example.com"):
        response = app.test_client().post("/login/forgot", data={"email": email},
                                          follow_redirects=True)
        answers.append((response.status_code, [r.headers["Location"] for r in response.history],
                        response.get_data(as_text=True)))
    assert answers[0] == answers[1]
    status, redirects, page = answers[0]
    assert (status, redirects) == (200, ["/login"])
    assert SENT in page
    # Only the real account got an email.
    [email] = _reset_emails()
    assert email.recipient == user.email
    assert email.related_type == "users" and email.related_id == user.id


def test_address_is_matched_case_insensitively(client):
    user = make_user(role="sales")
    client.post("/login/forgot", data={"email": f"  {user.email.upper()} "})
    assert [e.recipient for e in _reset_emails()] == [user.email]


def test_link_comes_from_the_base_url_not_the_host_header(app, client):
    user = make_user(role="sales")
    link = _request_link(client, user.email, headers={"Host": "evil.example"})
    [email] = _reset_emails()
    assert link.startswith(f"{app.config['CRM_BASE_URL']}/login/reset/")
    assert link in email.body_html
    assert "evil.example" not in email.body_text + email.body_html
    assert email.subject == "Reset your password"
    assert "60 minutes" in email.body_text


def test_each_request_queues_its_own_email(client):
    user = make_user(role="sales")
    for _ in range(2):
        client.post("/login/forgot", data={"email": user.email})
    assert len({e.idempotency_key for e in _reset_emails()}) == 2


def test_link_sets_the_new_password_and_ends_existing_sessions(app, client, auth):
    user = auth.login("sales")
    assert client.get("/dashboard/").status_code == 200
    anonymous = app.test_client()
    path = _path(_request_link(anonymous, user.email))

    form_page = anonymous.get(path)
    assert form_page.status_code == 200
    assert 'name="new_password"' in form_page.get_data(as_text=True)
    assert form_page.headers["Referrer-Policy"] == "no-referrer"
    response = anonymous.post(path, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Your password is changed. Sign in with the new one." in anonymous.get(
        "/login").get_data(as_text=True)

    stored = db.session.get(User, user.id)
    assert stored.check_password(NEW_PASSWORD)
    assert not stored.check_password(DEFAULT_PASSWORD)
    assert client.get("/dashboard/").status_code == 302  # the old session cookie is dead
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": NEW_PASSWORD}
                      ).status_code == 302


def test_reset_form_validates_the_new_password(client):
    user = make_user(role="sales")
    path = _path(_request_link(client, user.email))
    response = client.post(path, data={"new_password": "short", "confirm": "short"})
    assert response.status_code == 400
    assert "Use at least 10 characters" in response.get_data(as_text=True)
    assert response.headers["Referrer-Policy"] == "no-referrer"  # the token is in the address
    response = client.post(path, data={"new_password": NEW_PASSWORD, "confirm": "different one"})
    assert response.status_code == 400
    assert ('<a href="#confirm">Repeat the new password: The two passwords differ.</a>'
            in response.get_data(as_text=True))
    assert db.session.get(User, user.id).check_password(DEFAULT_PASSWORD)


def test_link_works_once(client):
    user = make_user(role="sales")
    path = _path(_request_link(client, user.email))
    data = {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post(path, data=data).status_code == 302
    _assert_refused(client.get(path))
    again = {"new_password": "someone else's password", "confirm": "someone else's password"}
    _assert_refused(client.post(path, data=again))
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)


def test_expired_link_is_refused(app, client, monkeypatch):
    user = make_user(role="sales")
    still_valid = _token_signed_minutes_ago(monkeypatch, user, operations.RESET_VALID_MINUTES - 1)
    expired = _token_signed_minutes_ago(monkeypatch, user, operations.RESET_VALID_MINUTES + 1)
    assert client.get(f"/login/reset/{still_valid}").status_code == 200
    _assert_refused(client.get(f"/login/reset/{expired}"))
    _assert_refused(client.post(f"/login/reset/{expired}",
                                data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}))
    assert db.session.get(User, user.id).check_password(DEFAULT_PASSWORD)


def _forge(app, payload, *, secret=None, salt="password-reset"):
    serializer = itsdangerous.URLSafeTimedSerializer(secret or app.config["SECRET_KEY"], salt=salt)
    return serializer.dumps(payload)


def test_tampered_links_are_refused(app, client):
    user = make_user(role="sales")
    victim = make_user(role="admin")
    token = _path(_request_link(client, user.email)).removeprefix("/login/reset/")
    payload, timestamp, signature = token.split(".")
    other_user_payload = _forge(app, {"u": victim.id, "h": "0" * 16}).split(".")[0]
    genuine = itsdangerous.URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="password-reset"
                                                  ).loads(operations.password_reset_token(victim))
    assert client.get(f"/login/reset/{_forge(app, genuine)}").status_code == 200  # control
    # Alter the signature's first character: the last one's low bits may be base64 padding.
    altered = ("A" if signature[0] != "A" else "B") + signature[1:]
    bad_tokens = [
        f"{payload}.{timestamp}.{altered}",  # signature altered
        f"{other_user_payload}.{timestamp}.{signature}",  # payload swapped, old signature
        _forge(app, {"u": victim.id, "h": "0" * 16}),  # right key, wrong fingerprint
        _forge(app, genuine, secret="guessed-secret"),  # wrong key
        _forge(app, genuine, salt="unsubscribe"),  # signed for another purpose
        _forge(app, [victim.id]),  # signed, but not the expected shape
        "not-a-token",
    ]
    for bad in bad_tokens:
        _assert_refused(client.get(f"/login/reset/{bad}"))
        _assert_refused(client.post(f"/login/reset/{bad}",
                                    data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}))
    assert db.session.get(User, victim.id).check_password(DEFAULT_PASSWORD)
    assert client.get(f"/login/reset/{token}").status_code == 200  # the genuine one still works


def test_deactivated_user_gets_no_email(client):
    inactive = make_user(role="sales", active=False)
    response = client.post("/login/forgot", data={"email": inactive.email})
    assert response.status_code == 302
    assert _reset_emails() == []


def test_link_stops_working_when_the_account_is_deactivated(client):
    user = make_user(role="sales")
    path = _path(_request_link(client, user.email))
    db.session.get(User, user.id).active = False
    db.session.commit()
    _assert_refused(client.get(path))


def test_requests_are_throttled_per_account(make_app):
    app = make_app(CRM_RESET_LIMIT_PER_ACCOUNT="2 per hour")
    client = app.test_client()
    user = make_user(role="sales")
    for _ in range(2):
        assert client.post("/login/forgot", data={"email": user.email}).status_code == 302
    response = client.post("/login/forgot", data={"email": user.email.upper()})
    assert response.status_code == 429
    assert b"Too many requests" in response.data
    assert len(_reset_emails()) == 2
    # Another address from the same client still gets through.
    assert client.post("/login/forgot", data={"email": "x@example.com"}).status_code == 302
    assert client.get("/login/forgot").status_code == 200  # only POST is limited


def test_requests_are_throttled_per_ip(make_app):
    app = make_app(CRM_RESET_LIMIT_PER_IP="3 per hour")
    client = app.test_client()
    for n in range(3):
        response = client.post("/login/forgot", data={"email": f"guess{n}@example.com"})
        assert response.status_code == 302
    assert client.post("/login/forgot", data={"email": "guess9@example.com"}).status_code == 429
    response = client.post("/login/forgot", data={"email": "guess9@example.com"},
                           environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert response.status_code == 302


def test_default_account_limit_is_three_per_hour(client):
    user = make_user(role="sales")
    statuses = [client.post("/login/forgot", data={"email": user.email}).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 302, 429]


@pytest.mark.parametrize("email", ["", "x" * 250 + "@example.com"])
def test_invalid_form_queues_nothing(client, email):
    response = client.post("/login/forgot", data={"email": email})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="error-summary"' in page and '<a href="#email">Email: ' in page
    assert SENT not in page
    assert _reset_emails() == []


def test_reset_email_arrives_over_smtp(mail_app, smtp_server):
    user = make_user(role="sales")
    client = mail_app.test_client()
    response = client.post("/login/forgot", data={"email": user.email},
                           headers={"Host": "attacker.example"})
    assert response.status_code == 302
    assert smtp_server.messages == []  # queued in the request, not sent
    deliver_all(mail_app)

    [received] = smtp_server.handler.wait_for(1)
    message = received["message"]
    assert received["to"] == [user.email]
    assert message["To"] == user.email
    assert message["Subject"] == "Reset your password"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = RESET_LINK.search(text).group(0)
    assert link.startswith(f"{BASE_URL}/login/reset/")
    assert f'href="{link}"' in html
    # The delivered link works.
    assert client.get(_path(link)).status_code == 200
