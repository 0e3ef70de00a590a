"""Several leads at once from the list: assign them, or change their status. Each lead goes
through the rule that changes one; those a rule refuses are named, the others are done."""

import re

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.leads import batch
from crm.leads import operations as leads
from crm.leads.models import Activity, ActivityKind, LeadStatus
from crm.notifications.models import OutboxEmail
from tests.conftest import error_summary
from tests.factories import make_user, quote_request, seed_catalog, submit

S = LeadStatus
BULK = "/dashboard/leads/bulk"


@pytest.fixture
def catalog(app):
    seed_catalog()


def new_leads(n, owner=None):
    made = [submit(quote_request(company=f"Bulkcorp {i}")).lead for i in range(n)]
    for lead in made:
        lead.owner_id = owner.id if owner else None
    db.session.commit()
    return made


def picks(*chosen):
    return {lead.id: lead.version for lead in chosen}


def emails_to(user) -> list[str]:
    """The emails queued to ``user`` since the leads came in (not the intake's alerts)."""
    return db.session.scalars(select(OutboxEmail.template).where(
        OutboxEmail.recipient == user.email, OutboxEmail.template != "lead_alert")).all()


def test_an_admin_assigns_several_leads_and_the_new_owner_hears_once(catalog):
    admin, bob = make_user(role="admin"), make_user(role="sales", name="Bob Seller")
    first, second = new_leads(2)
    done = batch.assign_leads(db.session, picks=picks(first, second), owner=bob, actor=admin)
    db.session.commit()
    assert [lead.reference for lead in done.changed] == [first.reference, second.reference]
    assert done.refused == []
    assert first.owner_id == second.owner_id == bob.id
    assert emails_to(bob) == ["leads_assigned"]
    body = db.session.scalar(select(OutboxEmail.body_text).where(
        OutboxEmail.recipient == bob.email, OutboxEmail.template == "leads_assigned"))
    assert first.reference in body and second.reference in body
    assigned = db.session.scalar(select(func.count()).select_from(Activity)
                                 .where(Activity.kind == ActivityKind.ASSIGNED,
                                        Activity.actor_id == admin.id))
    assert assigned == 2


def test_leads_already_with_the_owner_are_not_counted_or_sent_again(catalog):
    admin, bob = make_user(role="admin"), make_user(role="sales", name="Bob Seller")
    already = new_leads(1, owner=bob)[0]
    moved = new_leads(1)[0]
    done = batch.assign_leads(db.session, picks=picks(already, moved), owner=bob, actor=admin)
    db.session.commit()
    assert [lead.id for lead in done.changed] == [moved.id]
    assert [lead.id for lead in done.unchanged] == [already.id]
    body = db.session.scalar(select(OutboxEmail.body_text).where(
        OutboxEmail.recipient == bob.email, OutboxEmail.template == "leads_assigned"))
    assert moved.reference in body and already.reference not in body
    again = batch.assign_leads(db.session, picks=picks(already, moved), owner=bob, actor=admin)
    db.session.commit()
    assert again.changed == [] and len(again.unchanged) == 2
    assert emails_to(bob) == ["leads_assigned"]  # not a second email about nothing


def test_a_salesperson_takes_unowned_leads_but_not_a_colleagues(catalog):
    me, colleague = make_user(role="sales"), make_user(role="sales")
    free = new_leads(1)[0]
    theirs = new_leads(1, owner=colleague)[0]
    done = batch.assign_leads(db.session, picks=picks(free, theirs), owner=me, actor=me)
    db.session.commit()
    assert [lead.id for lead in done.changed] == [free.id]
    assert done.refused == [(theirs.reference, "Only an admin can reassign a lead that "
                                               "belongs to someone else.")]
    assert free.owner_id == me.id and theirs.owner_id == colleague.id
    assert emails_to(me) == []  # no email for taking leads oneself


def test_statuses_change_where_the_state_machine_allows(catalog):
    seller = make_user(role="sales")
    fresh, won = new_leads(2, owner=seller)
    won.status = S.WON
    db.session.commit()
    done = batch.change_statuses(db.session, picks=picks(fresh, won), status=S.CONTACTED,
                                 lost_reason="", actor=seller)
    db.session.commit()
    assert fresh.status is S.CONTACTED and fresh.first_responded_at is not None
    assert won.status is S.WON
    assert done.refused == [(won.reference, "A won lead cannot become contacted.")]


def test_a_lead_changed_since_the_list_was_loaded_is_left_alone(catalog):
    seller = make_user(role="sales", name="Sal Seller")
    stale, current = new_leads(2, owner=seller)
    chosen = picks(stale, current)
    leads.add_note(db.session, lead=stale, body="Called them", actor=seller)
    db.session.commit()
    done = batch.change_statuses(db.session, picks=chosen, status=S.LOST,
                                 lost_reason="No budget", actor=seller)
    db.session.commit()
    assert current.status is S.LOST and current.lost_reason == "No budget"
    assert stale.status is S.NEW
    assert done.refused[0][0] == stale.reference
    assert "changed by Sal Seller" in done.refused[0][1]


# --- over HTTP -------------------------------------------------------------------------------

def test_the_list_ticks_leads_and_changes_them(catalog, client, auth):
    seller = auth.login("sales")
    first, second = new_leads(2, owner=seller)
    page = client.get("/dashboard/leads/").get_data(as_text=True)
    ticks = re.findall(r'name="lead" value="(\d+:\d+)" form="bulk-form"', page)
    assert f"{first.id}:{first.version}" in ticks and f"{second.id}:{second.version}" in ticks
    response = client.post(BULK, data={
        "lead": [f"{first.id}:{first.version}", f"{second.id}:{second.version}"],
        "action": "status", "status": "contacted", "next": "/dashboard/leads/?status=new",
    })
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/leads/?status=new"
    assert first.status is second.status is S.CONTACTED
    text = client.get("/dashboard/leads/").get_data(as_text=True)
    assert "2 leads changed." in text


def test_refusals_are_named_on_the_list(catalog, client, auth):
    make_user(role="sales")
    auth.login("sales")
    colleague = make_user(role="sales")
    theirs = new_leads(1, owner=colleague)[0]
    text = client.post(BULK, data={"lead": [f"{theirs.id}:{theirs.version}"],
                                   "action": "assign", "owner": "0"},
                       follow_redirects=True).get_data(as_text=True)
    assert "No lead changed." in text
    assert f"{theirs.reference}: Only an admin can reassign" in text


@pytest.mark.parametrize("data, message", [
    ({"action": "status", "status": "contacted"}, "Tick at least one lead."),
    ({"lead": ["1:1"], "action": "status", "status": "lost", "lost_reason": ""},
     "Say why the leads were lost."),
    ({"lead": ["1:x"], "action": "status", "status": "contacted"}, "reload the page"),
    ({"lead": ["1:1"], "action": "assign", "owner": ""}, "Choose whom to give the leads to."),
    ({"lead": ["1:1"], "action": "status", "status": ""}, "Choose the new status."),
])
def test_a_bad_batch_is_explained_and_changes_nothing(catalog, client, auth, data, message):
    auth.login("sales")
    lead = new_leads(1)[0]
    response = client.post(BULK, data=data)
    assert response.status_code == 400
    assert message in error_summary(response.get_data(as_text=True))
    assert lead.status is S.NEW


def test_moderators_cannot_change_leads_in_bulk(catalog, client, auth):
    lead = new_leads(1)[0]
    auth.login("moderator")
    response = client.post(BULK, data={"lead": [f"{lead.id}:{lead.version}"],
                                       "action": "status", "status": "spam"})
    assert response.status_code in (403, 404)
    assert lead.status is S.NEW


def test_the_list_says_which_leads_already_had_the_owner(catalog, client, auth):
    seller = auth.login("sales")
    mine = new_leads(1, owner=seller)[0]
    text = client.post(BULK, data={"lead": [f"{mine.id}:{mine.version}"], "action": "assign",
                                   "owner": str(seller.id)},
                       follow_redirects=True).get_data(as_text=True)
    assert "No lead changed." in text and "1 lead already had that owner." in text
