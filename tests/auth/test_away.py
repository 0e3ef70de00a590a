"""A salesperson's leave: away until a day, set by themselves on the overview or by an admin;
the routing passes them by meanwhile (tests/intake/test_pipeline.py)."""

from datetime import timedelta

from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.auth.operations import team_today
from crm.extensions import db
from tests.factories import make_user


def test_a_salesperson_sets_their_leave_on_the_overview_and_comes_back(client, auth):
    seller = auth.login("sales")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "New leads come to you." in page and 'action="/dashboard/away"' in page
    last_day = team_today() + timedelta(days=10)

    response = client.post("/dashboard/away", data={"until": last_day.isoformat(),
                                                    "action": "away"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert seller.away_until == last_day
    assert f"You are away until {last_day.strftime('%-d %B %Y')}" in page
    assert "I'm back" in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.away"))
    assert event.actor_id == seller.id and event.object_id == seller.id

    response = client.post("/dashboard/away", data={"action": "back"}, follow_redirects=True)
    assert seller.away_until is None
    assert "Welcome back" in response.get_data(as_text=True)


def test_a_day_gone_or_missing_is_refused_on_the_form(client, auth):
    seller = auth.login("sales")
    response = client.post("/dashboard/away", data={
        "until": (team_today() - timedelta(days=1)).isoformat(), "action": "away"})
    assert response.status_code == 400
    assert "Choose today or a later day as the last day away." in response.get_data(as_text=True)
    response = client.post("/dashboard/away", data={"until": "", "action": "away"})
    assert response.status_code == 400
    assert "Choose your last day away." in response.get_data(as_text=True)
    response = client.post("/dashboard/away", data={"until": "next week", "action": "away"})
    assert response.status_code == 400 and "Not a valid date value." in response.get_data(
        as_text=True)
    db.session.refresh(seller)
    assert seller.away_until is None


def test_only_salespeople_set_their_own_leave(client, auth):
    """Admins and moderators are given no leads by the routing: nothing to be away from."""
    for role in ("admin", "moderator"):
        auth.login(role)
        assert "away-form" not in client.get("/dashboard/").get_data(as_text=True)
        response = client.post("/dashboard/away", data={
            "until": team_today().isoformat(), "action": "away"})
        assert response.status_code == 403
        auth.logout()


def test_an_admin_sets_someone_s_leave_and_the_list_shows_it(client, auth):
    seller = make_user(role="sales", name="Sam Seller")
    auth.login("admin")
    form = {"email": seller.email, "name": seller.name, "role": "sales", "active": "y"}
    response = client.post(f"/dashboard/users/{seller.id}", data={
        **form, "away_until": (team_today() - timedelta(days=3)).isoformat()})
    assert response.status_code == 400
    assert "Choose today or a later day" in response.get_data(as_text=True)
    last_day = team_today() + timedelta(days=5)
    response = client.post(f"/dashboard/users/{seller.id}", data={
        **form, "away_until": last_day.isoformat()})
    assert response.status_code == 302 and seller.away_until == last_day
    listing = client.get("/dashboard/users/").get_data(as_text=True)
    assert f"Away until {last_day.strftime('%-d %B %Y')}" in listing
    assert f'value="{last_day.isoformat()}"' in client.get(
        f"/dashboard/users/{seller.id}").get_data(as_text=True)
    client.post(f"/dashboard/users/{seller.id}", data={**form, "away_until": ""})
    assert seller.away_until is None
    assert "Away until" not in client.get("/dashboard/users/").get_data(as_text=True)


def test_a_leave_already_over_can_stay_as_it_was(client, auth):
    """Saving someone whose leave ended last week (other changes) does not refuse the date."""
    seller = make_user(role="sales")
    seller.away_until = team_today() - timedelta(days=7)
    db.session.commit()
    auth.login("admin")
    response = client.post(f"/dashboard/users/{seller.id}", data={
        "email": seller.email, "name": "Renamed", "role": "sales", "active": "y",
        "away_until": seller.away_until.isoformat()})
    assert response.status_code == 302 and seller.name == "Renamed"


def test_choices_of_owner_say_who_is_away(client, auth):
    """Giving a lead by hand to someone away stays possible; the choice says they are."""
    from tests.factories import seed_catalog, submit

    seed_catalog()
    seller = make_user(role="sales", name="Sam Seller")
    lead = submit().lead
    seller.away_until = team_today() + timedelta(days=2)
    db.session.commit()
    auth.login("admin")
    label = f"Sam Seller (away until {seller.away_until.strftime('%-d %b')})"
    page = client.get(f"/dashboard/leads/{lead.id}").get_data(as_text=True)
    assert label in page
    assert f"<dt>Owner</dt><dd>{label}</dd>" in page  # the lead's facts say it too
    assert label in client.get("/dashboard/leads/").get_data(as_text=True)
    seller.away_until = team_today() - timedelta(days=1)
    db.session.commit()
    assert "away until" not in client.get(f"/dashboard/leads/{lead.id}").get_data(as_text=True)
