"""Which indexes the overview and the lead list read, as SQLite plans them at 100,000 leads:
counts from indexes alone, lists that walk an index and stop at their page."""

import re
from datetime import timedelta

import pytest

from crm.core.types import utcnow
from crm.extensions import db
from crm.leads import overview, queries
from tests.factories import make_user, seed_catalog
from tests.leads.test_lead_list import lead
from tests.plans import plans, statistics


@pytest.fixture(params=[False, True], ids=["no statistics", "statistics at 100,000 leads"])
def at_scale(request) -> bool:
    return request.param


@pytest.fixture
def leads(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plans")
    seed_catalog()
    owner = make_user("sales")
    made = [lead(email=f"p{n}@plan{n}.example") for n in range(6)]
    for n, each in enumerate(made):
        each.owner_id = owner.id
        each.next_action_on = utcnow().date() - timedelta(days=n)
    db.session.commit()
    return made


def full_scans(plan: list[str]) -> list[str]:
    """Plan lines that read every lead: a table scan, or an automatic index (which SQLite
    builds for the one statement by reading the whole table)."""
    return [line for line in plan
            if re.fullmatch(r"SCAN leads", line) or re.match(r"SEARCH leads .*AUTOMATIC", line)]


def test_the_overview_counts_from_indexes_and_walks_them_for_its_lists(leads, at_scale):
    """For a salesperson who owns no lead (the worst case for a walk in date order)."""
    idle = make_user("sales")
    with statistics(at_scale), plans() as seen:
        overview.overview(db.session, user_id=idle.id, now=utcnow())
    assert len(seen) == 5
    for statement, (plan, reads_rows) in seen.items():
        assert not full_scans(plan), plan
        if " LIMIT " not in statement:  # the counts per status (and values) and per week
            assert not reads_rows, (statement, plan)
        if "sum(leads.estimated_value)" in statement:
            assert any("ix_leads_live_value" in line for line in plan), plan
        if "owner_id =" in statement:  # my open leads: from the owner's index
            assert any("ix_leads_owner_status" in line for line in plan), plan
        if "first_response_due_at <" in statement:  # the breaches: newest first, unsorted
            assert any("ix_leads_unanswered" in line for line in plan), plan
            assert not any("TEMP B-TREE" in line for line in plan), plan


@pytest.mark.parametrize("owner", ["me", "unassigned", ""])
def test_the_lead_list_reads_an_owners_leads_through_an_index_of_them(leads, owner, at_scale):
    idle = make_user("sales")
    filters = queries.LeadFilters(owner=owner, me_id=idle.id)
    with statistics(at_scale), plans() as seen:
        page = queries.lead_page(db.session, filters=filters)
    assert page.items == [] if owner else len(page.items) == len(leads)
    (count, count_plan), (rows, rows_plan) = [(s, p) for s, (p, _) in seen.items()]
    for plan in (count_plan, rows_plan):
        assert not full_scans(plan), plan
    if owner == "me":
        assert any("ix_leads_owner_status" in line for line in rows_plan), rows_plan
    elif owner == "unassigned":  # however few: not a walk through every lead's date
        assert any(re.search(r"ix_leads_unassigned|ix_leads_owner_status \(owner_id=\?", line)
                   for line in rows_plan), rows_plan
    else:  # the newest open leads: every lead's date walked in order, or each open status's
        # (its index is in date order within a status: SQLite reads a page's worth of each)
        assert any(re.search(r"ix_leads_live_created|ix_leads_live_status \(status=\?\)", line)
                   for line in rows_plan), rows_plan


@pytest.mark.parametrize(("sort", "index"), [("score", "ix_leads_live_score"),
                                           ("total_kg", "ix_leads_live_kg"),
                                           ("company_name", "ix_leads_live_company")])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_the_list_in_another_order_walks_that_orders_index(leads, sort, index, direction):
    """With statistics (``flask crm seed-bulk`` leaves them; so does PostgreSQL's autovacuum):
    the open leads by score, kilograms or company, without sorting them all."""
    filters = queries.LeadFilters(sort=sort, direction=direction)
    with statistics(at_scale=True), plans() as seen:
        page = queries.lead_page(db.session, filters=filters)
    assert len(page.items) == len(leads)
    rows_plan = [plan for statement, (plan, _) in seen.items() if "ORDER BY" in statement]
    assert rows_plan == [[f"SCAN leads USING INDEX {index}"]], rows_plan


def test_a_lead_page_reads_no_lead_but_its_own_and_those_merged_into_it(client, auth, leads,
                                                                         at_scale):
    auth.login("sales")
    target, merged = leads[0], leads[1]
    merged.merged_into_id = target.id
    db.session.commit()
    with statistics(at_scale), plans() as seen:
        response = client.get(f"/dashboard/leads/{target.id}")
    assert response.status_code == 200
    assert any("merged_into_id" in statement for statement in seen)
    for statement, (plan, _) in seen.items():
        assert not full_scans(plan), (statement, plan)


def test_intake_finds_the_contacts_open_lead_through_their_inquiries(leads, at_scale):
    """The open lead a new inquiry joins (its contact's, or the one theirs was merged into):
    the contact's inquiries by their index, then those leads by id; never the open leads."""
    from crm.intake.matching import open_lead_for

    contact = leads[0].contact
    with statistics(at_scale), plans() as seen:
        assert open_lead_for(db.session, contact) is not None
    [plan] = [plan for statement, (plan, _) in seen.items() if "JOIN inquiries" in statement]
    assert any("ix_inquiries_contact_id" in line for line in plan), plan
    assert any(re.match(r"SEARCH leads USING INTEGER PRIMARY KEY", line) for line in plan), plan
