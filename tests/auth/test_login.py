import time

import pytest
from sqlalchemy import select

from crm.auth.models import User
from crm.extensions import db
from tests.conftest import error_summary
from tests.factories import DEFAULT_PASSWORD, make_user


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Staff sign-in" in response.data


def test_login_success_redirects_to_dashboard(client):
    user = make_user(role="sales")
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    assert db.session.get(User, user.id).last_login_at is not None


def test_login_email_is_case_insensitive(client):
    user = make_user(role="sales")
    response = client.post(
        "/login", data={"email": "  " + user.email.upper(), "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302


def _refused_sign_in(client, email, password) -> str:
    """The page of a sign-in refused for its credentials, with the email as typed taken out:
    what is left must not depend on whether the account exists or which half was wrong."""
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = error_summary(page)
    assert "You are not signed in" in summary and "autofocus" in summary
    # One message that names neither field, tied to neither.
    assert "<li>Wrong email or password.</li>" in summary and "<a " not in summary
    assert page.count("Wrong email or password.") == 1
    assert 'aria-invalid="true"' not in page
    assert client.get("/dashboard/").status_code == 302
    return page.replace(email, "EMAIL")


def test_wrong_credentials_say_the_same_thing(client):
    user = make_user(role="sales")
    inactive = make_user(role="sales", active=False)
    pages = {
        "unknown email": _refused_sign_in(client, "nobody@example.com", DEFAULT_PASSWORD),
        "wrong password": _refused_sign_in(client, user.email, "wrong password"),
        "deactivated": _refused_sign_in(client, inactive.email, DEFAULT_PASSWORD),
    }
    assert len(set(pages.values())) == 1, pages.keys()


def test_logout_requires_post_and_ends_the_session(client, auth):
    auth.login("sales")
    assert client.get("/logout").status_code == 405
    response = auth.logout()
    assert response.headers["Location"] == "/login"
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "\\\\evil.example", "/\\evil.example", "http:///evil.example",
     "https://evil.example/", "javascript:alert(1)", "%2F%2Fevil.example", "/%09/evil.example",
     "/\t/evil.example", "///evil.example", "http://localhost/dashboard/"],
)
def test_unsafe_next_is_ignored(client, target):
    user = make_user(role="sales")
    response = client.post(
        "/login", query_string={"next": target},
        data={"email": user.email, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"


def test_local_next_is_followed(client):
    user = make_user(role="admin")
    response = client.post(
        "/login", query_string={"next": "/dashboard/users/?x=1"},
        data={"email": user.email, "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == "/dashboard/users/?x=1"


def test_anonymous_staff_page_redirects_to_login_with_next(client):
    response = client.get("/dashboard/users/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/dashboard/users/")


def _session_cookie(client):
    return client.get_cookie("session").value


def test_session_cookie_replayed_after_logout_is_refused(app, client, auth):
    auth.login("sales")
    stolen = _session_cookie(client)
    auth.logout()
    other = app.test_client()
    other.set_cookie("session", stolen)
    assert other.get("/dashboard/").status_code == 302


def test_deactivation_ends_the_users_sessions(app, client, auth):
    user = auth.login("sales")
    admin_client = app.test_client()
    AuthAdmin = type(auth)
    AuthAdmin(admin_client).login("admin")
    response = admin_client.post(
        f"/dashboard/users/{user.id}",
        data={"email": user.email, "name": user.name, "role": "sales"},  # "active" unticked
    )
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, auth):
    user = auth.login("sales")
    elsewhere = app.test_client()
    type(auth)(elsewhere).login(user)
    response = client.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": "a new long password",
        "confirm": "a new long password",
    })
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200
    assert elsewhere.get("/dashboard/").status_code == 302
    assert db.session.scalar(select(User).where(User.id == user.id)).check_password(
        "a new long password"
    )


def test_password_change_checks_the_current_password(client, auth):
    auth.login("sales")
    response = client.post("/account/password", data={
        "current_password": "not it", "new_password": "a new long password",
        "confirm": "a new long password",
    })
    assert response.status_code == 400
    assert b"The current password is wrong." in response.data


def test_login_starts_a_new_session(client, auth):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login("sales")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_session_cookie_flags(client):
    user = make_user(role="sales")
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_idle_session_expires(make_app):
    from datetime import timedelta

    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(seconds=1))
    client = app.test_client()
    user = make_user(role="sales")
    client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert client.get("/dashboard/").status_code == 200
    time.sleep(2.2)
    assert client.get("/dashboard/").status_code == 302
