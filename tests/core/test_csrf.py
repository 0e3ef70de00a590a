"""CSRF is enforced on every POST route of the application."""

import re

from tests.factories import DEFAULT_PASSWORD, make_user


def _post_paths(app):
    paths = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            path = rule.rule
            for argument in rule.arguments:
                path = re.sub(rf"<(\w+:)?{argument}>", "1", path)
            paths.append(path)
    return sorted(set(paths))


# RFC 8058 one-click unsubscribe: mail clients POST without a CSRF token; the signed token
# in the URL is the authorisation (tests/notifications/test_unsubscribe.py covers it).
CSRF_EXEMPT = {"/unsubscribe/1"}


def test_every_post_without_a_token_is_refused(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    paths = _post_paths(app)
    assert "/login" in paths and "/logout" in paths
    for path in paths:
        if path in CSRF_EXEMPT:
            continue
        response = client.post(path, data={"anything": "x"})
        assert response.status_code == 400, path
        assert b"Reload the page" in response.data, path


def test_signed_in_post_without_token_is_refused_and_changes_nothing(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = make_user(role="sales")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302  # the form works with its token
    response = client.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": "changed by a forged form",
        "confirm": "changed by a forged form"})
    assert response.status_code == 400
    assert user.check_password(DEFAULT_PASSWORD)
