"""Every staff route against every role: anonymous users go to login, wrong roles get 403."""

import pytest
from sqlalchemy import select

from crm.catalog.models import Ingredient
from crm.extensions import db
from crm.notifications import notify
from crm.quotes.operations import draft_from_lead
from tests.factories import make_comment, make_user, seed_catalog, submit

# Which roles may open each part of the staff area; the longest matching prefix wins.
ACCESS = {
    "/dashboard/users": {"admin"},
    "/dashboard/emails": {"admin"},
    "/dashboard/articles": {"admin"},
    "/dashboard/catalog": {"admin"},
    "/dashboard/moderation/settings": {"admin"},
    "/dashboard/moderation": {"admin", "moderator"},
    "/dashboard/leads": {"admin", "sales"},
    "/dashboard/quotes": {"admin", "sales"},
    "/dashboard": {"admin", "sales", "moderator"},
    "/account": {"admin", "sales", "moderator"},
}
ROLES = ("admin", "sales", "moderator")
STAFF_BLUEPRINTS = {"dashboard", "accounts", "email_log", "article_admin", "moderation", "leads",
                    "catalog_admin", "quotes"}


def _expected_roles(path):
    for prefix in sorted(ACCESS, key=len, reverse=True):
        if path.startswith(prefix):
            return ACCESS[prefix]
    return None


def _staff_get_paths(app, object_ids=None):
    """GET paths of the staff area, with ``<int:x_id>`` filled from ``object_ids``."""
    object_ids = object_ids or {}
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = rule.rule
        if _expected_roles(path) is None:
            continue
        for argument in rule.arguments:
            value = str(object_ids.get(argument, 1))
            path = path.replace(f"<int:{argument}>", value).replace(f"<{argument}>", "x")
        paths.append(path)
    return sorted(set(paths))


def test_every_staff_prefix_is_covered(app):
    """A new staff route outside the table above fails here until the table says who may see it."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        guarded = rule.endpoint.split(".")[0] in STAFF_BLUEPRINTS or hasattr(view, "allowed_roles")
        if guarded:
            assert _expected_roles(rule.rule) is not None, rule.rule


def test_anonymous_users_are_sent_to_login(app, client):
    paths = _staff_get_paths(app)
    assert paths
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages(app, client, role):
    # One object of each kind, so that /<int:..._id> pages have something to show.
    target = make_user(role="admin")
    email = notify(db.session, template="test_email", to="x@example.com", key="access")
    db.session.commit()
    comment = make_comment()
    seed_catalog()
    lead = submit().lead
    quote, _ = draft_from_lead(db.session, lead=lead, actor=None)
    db.session.commit()
    object_ids = {"user_id": target.id, "email_id": email.id, "article_id": comment.article_id,
                  "comment_id": comment.id, "lead_id": lead.id, "quote_id": quote.id,
                  "ingredient_id": db.session.scalar(select(Ingredient.id).limit(1))}
    user = make_user(role=role)
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    for path in _staff_get_paths(app, object_ids):
        response = client.get(path)
        if role in _expected_roles(path):
            assert response.status_code == 200, (role, path)
        else:
            assert response.status_code == 403, (role, path)
            assert b"Not allowed" in response.data


def test_navigation_shows_only_what_the_role_may_open(client, auth):
    auth.login("sales")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "/dashboard/users/" not in page
    client.post("/logout")
    auth.login("admin")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "/dashboard/users/" in page
