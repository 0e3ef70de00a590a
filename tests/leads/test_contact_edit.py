"""Correcting who asked, from the lead page: the contact's details and their company's name
and type, on every lead that shows them."""

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.leads import contacts, queries
from crm.leads.merging import merge
from crm.leads.models import Activity, ActivityKind, Contact, Lead, LeadStatus
from crm.leads.operations import LeadConflict, LeadError
from tests.factories import make_user, quote_request, seed_catalog, submit
from tests.leads.test_lead_page import page_of, url

DETAILS = {"name": "Ana Formulator", "email": "ana@acme.example", "phone": "+1 555 0100",
           "job_title": "Product developer", "country": "US",
           "company_name": "Acme Nutrition", "company_type": "brand owner"}


def ana():
    return quote_request(email=DETAILS["email"])


@pytest.fixture
def lead(app):
    seed_catalog()
    return submit(ana()).lead


def edit(lead, actor, **changes):
    values = {**DETAILS, **changes}
    changed = contacts.update_contact(db.session, lead=lead, actor=actor,
                                        expected_version=lead.version, **values)
    db.session.commit()
    return changed


def search(q: str) -> list[str]:
    page = queries.lead_page(db.session, page=1,
                             filters=queries.LeadFilters(q=q, statuses=tuple(LeadStatus)))
    return [row.reference for row in page.items]


def test_a_correction_reaches_every_lead_of_the_contact_and_the_company(lead):
    sales = make_user(role="sales")
    older = lead
    older.status = LeadStatus.WON  # closed: the next request opens a new lead
    db.session.commit()
    newer = submit(ana()).lead
    colleague = submit(quote_request(email="bo@acme.example", name="Bo Colleague")).lead
    assert newer.id != older.id and newer.contact_id == older.contact_id
    version = newer.version

    changed = edit(newer, sales, name="Ana Ortega", phone="+1 555 0199",
                   company_name="Acme Nutrition Labs")
    assert changed == ["name “Ana Formulator” → “Ana Ortega”",
                       "phone “+1 555 0100” → “+1 555 0199”",
                       "company “Acme Nutrition” → “Acme Nutrition Labs”"]
    db.session.expire_all()
    assert newer.contact.name == "Ana Ortega" and newer.company.name == "Acme Nutrition Labs"
    for shown in (older, newer):
        assert (shown.contact_name, shown.company_name) == ("Ana Ortega", "Acme Nutrition Labs")
    assert colleague.company_name == "Acme Nutrition Labs"  # the same company
    assert colleague.contact_name == "Bo Colleague"
    assert newer.version == version + 1 and newer.updated_by_id == sales.id
    assert set(search("nutrition labs")) == {older.reference, newer.reference,
                                             colleague.reference}
    assert search("ortega") and not search("formulator")
    entry = db.session.scalar(select(Activity).where(Activity.lead_id == newer.id,
                                                     Activity.kind == ActivityKind.CONTACT))
    assert entry.actor_id == sales.id and "“Ana Formulator” → “Ana Ortega”" in entry.body


def test_the_email_is_kept_lower_case_and_cannot_take_another_contacts(lead):
    sales = make_user(role="sales")
    submit(quote_request(email="bo@acme.example", name="Bo Colleague"))
    with pytest.raises(LeadError, match="Another contact already has"):
        edit(lead, sales, email="BO@acme.example")
    db.session.rollback()
    assert edit(lead, sales, email="Ana.New@Acme.example") == [
        "email “ana@acme.example” → “ana.new@acme.example”"]
    assert db.session.get(Contact, lead.contact_id).email == "ana.new@acme.example"
    assert db.session.get(Lead, lead.id).contact_email == "ana.new@acme.example"


def test_nothing_changed_saves_nothing(lead):
    version = lead.version
    assert edit(lead, make_user(role="sales")) == []
    assert db.session.get(Lead, lead.id).version == version
    assert not db.session.scalar(select(Activity).where(Activity.kind == ActivityKind.CONTACT))


def test_a_stale_form_or_a_merged_lead_is_refused(lead):
    sales = make_user(role="sales")
    with pytest.raises(LeadConflict):
        contacts.update_contact(db.session, lead=lead, actor=sales,
                                  expected_version=lead.version - 1, **DETAILS)
    target = submit(quote_request(email="zed@zeta.example", company="Zeta")).lead
    merge(db.session, source=lead, target=target, actor=sales)
    db.session.commit()
    with pytest.raises(LeadError, match="merged"):
        edit(lead, sales, name="Someone Else")


# --- over HTTP --------------------------------------------------------------------------------

def form(lead, **changes) -> dict:
    return {**DETAILS, "version": lead.version, **changes}


def test_the_lead_page_edits_the_contact(client, auth, lead):
    auth.login("sales")
    page = page_of(client, lead)
    assert f'action="{url(lead, "contact")}"' in page and 'value="Product developer"' in page
    response = client.post(url(lead, "contact"), data=form(lead, job_title="Head of R&D"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The contact details are saved." in page
    assert "Head of R&amp;D" in page
    assert "job title “Product developer” → “Head of R&amp;D”" in page


def test_a_mistake_is_explained_and_what_was_typed_stays(client, auth, lead):
    auth.login("sales")
    response = client.post(url(lead, "contact"),
                           data=form(lead, name="", email="not-an-email", phone="+1 555 0177"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "error-summary" in page
    assert "Enter the contact&#39;s name." in page and "Enter a valid email address" in page
    assert 'value="+1 555 0177"' in page and 'value="not-an-email"' in page
    assert db.session.get(Contact, lead.contact_id).phone == "+1 555 0100"


def test_a_refused_change_keeps_what_was_typed(client, auth, lead):
    submit(quote_request(email="bo@acme.example", name="Bo Colleague"))
    auth.login("sales")
    response = client.post(url(lead, "contact"),
                           data=form(lead, email="bo@acme.example", job_title="Chemist"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Another contact already has this email address" in page
    assert 'value="Chemist"' in page
    assert db.session.get(Contact, lead.contact_id).job_title == "Product developer"


def test_names_are_escaped_on_the_page_and_the_timeline(client, auth, lead):
    auth.login("sales")
    evil = "<img src=x onerror=alert(1)>"
    client.post(url(lead, "contact"), data=form(lead, name=evil, company_name=evil))
    page = page_of(client, lead)
    assert evil not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_moderators_cannot_edit_contacts(client, auth, lead):
    auth.login("moderator")
    assert client.post(url(lead, "contact"), data=form(lead, name="Mallory")).status_code == 403
    assert db.session.get(Contact, lead.contact_id).name == "Ana Formulator"


def test_a_correction_made_from_another_lead_of_the_contact_makes_this_ones_form_stale(lead):
    """Two leads of one contact, each open in a browser: a phone corrected from one (a
    detail no list column copies) must not be undone by the other's form, still showing the
    old phone, saving a job title."""
    sales = make_user(role="sales")
    lead.status = LeadStatus.WON
    db.session.commit()
    other = submit(ana()).lead
    colleague = submit(quote_request(email="bo@acme.example", name="Bo Colleague")).lead
    loaded = {shown.id: shown.version for shown in (lead, other, colleague)}
    edit(lead, sales, phone="+1 555 0199", company_type="contract manufacturer")
    db.session.expire_all()
    for shown in (other, colleague):  # their forms, loaded before, hold the old details
        with pytest.raises(LeadConflict):
            contacts.update_contact(db.session, lead=shown, actor=sales,
                                      expected_version=loaded[shown.id],
                                      **{**DETAILS, "job_title": "Chemist"})
        db.session.rollback()
    contact = db.session.get(Contact, lead.contact_id)
    assert contact.phone == "+1 555 0199" and contact.job_title == "Product developer"
    assert db.session.get(Lead, other.id).company.company_type == "contract manufacturer"


def test_every_lead_that_shows_the_correction_has_it_on_its_timeline(lead):
    """A lead whose contact or company was corrected from another lead says so, naming that
    lead, and only with what it shows (a colleague's lead: the company, not Ana's phone)."""
    sales = make_user(role="sales")
    lead.status = LeadStatus.WON
    db.session.commit()
    other = submit(ana()).lead
    colleague = submit(quote_request(email="bo@acme.example", name="Bo Colleague")).lead
    edit(lead, sales, phone="+1 555 0199", company_name="Acme Labs")

    def entries(shown) -> list[str]:
        return db.session.scalars(select(Activity.body).where(
            Activity.lead_id == shown.id, Activity.kind == ActivityKind.CONTACT)).all()

    phone, company = "phone “+1 555 0100” → “+1 555 0199”", "company “Acme Nutrition” → “Acme Labs”"
    assert entries(lead) == [f"Contact details corrected: {phone}; {company}"]
    assert entries(other) == [f"Contact details corrected on {lead.reference}: {phone}; {company}"]
    assert entries(colleague) == [f"Contact details corrected on {lead.reference}: {company}"]


def test_an_email_claimed_by_another_contact_at_the_same_moment_is_explained(
        client, auth, lead, monkeypatch):
    """Both saves passed the look-up; the unique index refuses the second. It runs again,
    and the look-up now finds the other contact: a message, not a 500."""
    from sqlalchemy.orm import Session

    real = contacts.update_contact
    raced = []

    def racing_update_contact(session, **kwargs):
        changed = real(session, **kwargs)
        if not raced:  # another contact takes the address first, in another transaction
            raced.append(True)
            with Session(db.engine) as other:
                other.add(Contact(email=kwargs["email"].lower(), name="Bo Quick"))
                other.commit()
        return changed

    monkeypatch.setattr(contacts, "update_contact", racing_update_contact)
    auth.login("sales")
    response = client.post(url(lead, "contact"),
                           data=form(lead, email="shared@acme.example", job_title="Chemist"))
    assert response.status_code == 400 and raced
    page = response.get_data(as_text=True)
    assert "Another contact already has this email address" in page
    assert 'value="Chemist"' in page
    assert db.session.get(Contact, lead.contact_id).email == DETAILS["email"]


# --- moving the contact to another company ----------------------------------------------------

def test_a_contact_moves_to_another_company_with_all_their_leads(lead):
    """The company was wrong for this contact only (intake matched it by name): "move" takes
    Ana and every lead of hers to the company of that name, found or made; her former
    colleagues stay where they were."""
    sales = make_user(role="sales")
    colleague = submit(quote_request(email="bo@acme.example", name="Bo Colleague")).lead
    zen = submit(quote_request(company="Zenpharm", email="cy@zenpharm.example")).lead
    older_version = lead.version
    changed = edit(lead, sales, company_name="zenpharm", move_company=True)
    assert changed == ["moved from company “Acme Nutrition” to “Zenpharm”"]
    db.session.expire_all()
    assert lead.company_id == zen.company_id == lead.contact.company_id
    assert lead.company_name == "Zenpharm" and set(search("zenpharm")) == {lead.reference,
                                                                          zen.reference}
    assert colleague.company_name == "Acme Nutrition" and colleague.company.name == (
        "Acme Nutrition")
    assert lead.version == older_version + 1
    assert zen.version == 1  # nothing it shows changed


def test_moving_to_a_known_company_keeps_its_type(lead):
    """The form shows the old company's type; ticking "move" must not write it over the
    other company's, and on all of that company's leads."""
    sales = make_user(role="sales")
    zen = submit(quote_request(company="Zenpharm", email="cy@zenpharm.example",
                               company_type="contract manufacturer")).lead
    changed = edit(lead, sales, company_name="Zenpharm", move_company=True)
    assert changed == ["moved from company “Acme Nutrition” to “Zenpharm”"]
    db.session.expire_all()
    assert lead.company_id == zen.company_id
    assert zen.company.company_type == "contract manufacturer"
    assert zen.version == 1
    assert not db.session.scalars(select(Activity).where(
        Activity.lead_id == zen.id, Activity.kind == ActivityKind.CONTACT)).all()


def test_moving_to_a_company_nobody_has_makes_it(lead):
    sales = make_user(role="sales")
    old_company = lead.company_id
    edit(lead, sales, company_name="Brand New Labs", company_type="distributor",
         move_company=True)
    db.session.expire_all()
    assert lead.company_id != old_company
    assert (lead.company.name, lead.company.company_type) == ("Brand New Labs", "distributor")
    assert lead.company.domain is None  # a domain is only ever learnt from an email


def test_the_lead_page_offers_rename_or_move(client, auth, lead):
    auth.login("sales")
    page = page_of(client, lead)
    assert 'name="move_company"' in page
    response = client.post(url(lead, "contact"), data={**DETAILS, "version": lead.version,
                                                        "company_name": "Otherco",
                                                        "move_company": "y"},
                           follow_redirects=True)
    assert "The contact details are saved." in response.get_data(as_text=True)
    assert lead.company.name == "Otherco"
    assert db.session.scalar(select(Contact.company_id).where(
        Contact.email == "ana@acme.example")) == lead.company_id
