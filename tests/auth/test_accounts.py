import re

from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.auth.models import Role, User
from crm.extensions import db
from tests.factories import make_user


def test_admin_creates_a_user_who_can_sign_in(app, client, auth):
    admin = auth.login("admin")
    response = client.post("/dashboard/users/new", data={
        "email": "New.Person@Example.com", "name": "New Person", "role": "sales",
        "territories": ["DE", "FR"], "password": "a long enough password", "active": "y"})
    assert response.status_code == 302
    user = db.session.scalar(User.by_email("new.person@example.com"))
    assert user.email == "new.person@example.com"
    assert user.role is Role.SALES and user.country_codes == ["DE", "FR"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created",
                                                       AuditEvent.object_id == user.id))
    assert event.actor_id == admin.id
    other = app.test_client()
    assert other.post("/login", data={"email": "new.person@example.com",
                                      "password": "a long enough password"}).status_code == 302


def test_a_new_user_has_no_role_until_one_is_chosen(client, auth):
    auth.login("admin")
    page = client.get("/dashboard/users/new").get_data(as_text=True)
    role = re.search(r'<select[^>]*name="role".*?</select>', page, re.S)[0]
    assert role.startswith('<select') and '<option value="">Choose a role</option>' in role
    assert " selected" not in role  # the browser shows the prompt
    response = client.post("/dashboard/users/new", data={
        "email": "x@example.com", "name": "X", "password": "a long enough password"})
    assert response.status_code == 400 and b"Choose a role." in response.data
    assert db.session.scalar(User.by_email("x@example.com")) is None


def test_duplicate_email_is_a_form_error(client, auth):
    existing = make_user(role="moderator")
    auth.login("admin")
    response = client.post("/dashboard/users/new", data={
        "email": existing.email.upper(), "name": "Dup", "role": "sales",
        "password": "a long enough password"})
    assert response.status_code == 400
    assert b"already exists" in response.data


def test_short_password_is_a_form_error(client, auth):
    auth.login("admin")
    response = client.post("/dashboard/users/new", data={
        "email": "x@example.com", "name": "X", "role": "sales", "password": "short"})
    assert b"at least 10 characters" in response.data
    assert db.session.scalar(User.by_email("x@example.com")) is None


def test_role_change_is_audited_and_applies_at_once(app, client, auth):
    target = make_user(role="moderator")
    target_client = app.test_client()
    type(auth)(target_client).login(target)
    assert target_client.get("/dashboard/").status_code == 200
    auth.login("admin")
    response = client.post(f"/dashboard/users/{target.id}", data={
        "email": target.email, "name": target.name, "role": "sales", "active": "y"})
    assert response.status_code == 302
    assert db.session.get(User, target.id).role is Role.SALES
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.updated"))
    assert event.detail["role"] == "sales"
    # A role change ends the user's sessions, so the new rights apply from the next sign-in.
    assert target_client.get("/dashboard/").status_code == 302


def test_admin_cannot_demote_or_deactivate_themself(client, auth):
    admin = auth.login("admin")
    response = client.post(f"/dashboard/users/{admin.id}", data={
        "email": admin.email, "name": admin.name, "role": "sales", "active": "y"})
    assert response.status_code == 400
    assert b"cannot remove your own admin role" in response.data
    assert db.session.get(User, admin.id).role is Role.ADMIN


def test_edit_unknown_user_is_404(client, auth):
    auth.login("admin")
    assert client.get("/dashboard/users/999999").status_code == 404


def test_user_list_shows_status(client, auth):
    make_user(role="sales", name="Gone Person", active=False)
    auth.login("admin")
    page = client.get("/dashboard/users/").get_data(as_text=True)
    assert "Gone Person" in page and "Deactivated" in page


def test_the_user_list_runs_the_same_statements_however_many_users(client, auth):
    """Each user's territories come with the list, not one look-up per user."""
    from tests.conftest import recorded_statements

    auth.login("admin")
    make_user(role="sales", territories=["DE"])

    def statements() -> int:
        with recorded_statements() as sql:
            assert client.get("/dashboard/users/").status_code == 200
        return len(sql)

    few = statements()
    for n in range(5):
        make_user(role="sales", territories=["FR", "IT"][: n % 2 + 1])
    assert statements() == few
