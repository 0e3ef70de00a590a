"""The admin screens and the operation that write ingredients, spec rows and price tiers."""

import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEvent
from crm.catalog import operations, rules
from crm.catalog.models import Ingredient, PriceTier, SpecRow
from crm.catalog.operations import CatalogError, SpecLine, TierLine
from crm.extensions import db
from tests.catalog import SECRET_DOSE, make_ingredient
from tests.conftest import error_summary

SPEC_FIELDS = ("parameter", "limit", "method")
TIER_FIELDS = ("grade", "min_kg", "price_per_kg", "currency")


def _form(specs=(), tiers=(), **overrides):
    """The admin form as a browser posts it, with rows given as tuples."""
    data = {
        "name": "L-Carnitine Tartrate", "slug": "", "cas_number": "36687-82-8",
        "description": "White, hygroscopic powder.", "grades": "USP, Food",
        "forms": "Powder, Granular", "pack_size_kg": "25", "moq_kg": "100",
        "lead_time_days": "21", "max_daily_dose_mg": "2000", "featured": "y", "active": "y",
        "save": "Save",
    }
    for row, values in enumerate(specs):
        data.update({f"specs-{row}-{name}": value for name, value in zip(SPEC_FIELDS, values,
                                                                           strict=True)})
    for row, values in enumerate(tiers):
        data.update({f"price_tiers-{row}-{name}": value
                     for name, value in zip(TIER_FIELDS, values, strict=True)})
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


GOOD_SPECS = [("Assay", "97.0–103.0 %", "HPLC"), ("", "ignored", "row"),
              ("Water", "≤ 0.5 %", "Karl Fischer")]
GOOD_TIERS = [("USP", "100", "31.50", "USD"), ("usp", "500", "28", "USD"),
              ("", "", "", "USD"), ("Food", "100", "24.10", "EUR")]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _events(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_admin_creates_an_ingredient_with_specs_and_tiers(client, auth):
    admin = auth.login("admin")
    response = client.post("/dashboard/catalog/new", data=_form(GOOD_SPECS, GOOD_TIERS))
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/catalog/"
    ingredient = db.session.scalar(select(Ingredient))
    assert ingredient.slug == "l-carnitine-tartrate"  # made from the name
    assert ingredient.grades == ["USP", "Food"] and ingredient.forms == ["Powder", "Granular"]
    assert ingredient.pack_size_kg == 25 and ingredient.moq_kg == 100
    assert ingredient.max_daily_dose_mg == Decimal("2000")
    assert ingredient.featured and ingredient.active and ingredient.lead_time_days == 21
    assert [(s.position, s.parameter, s.limit, s.method) for s in ingredient.specs] == [
        (0, "Assay", "97.0–103.0 %", "HPLC"), (1, "Water", "≤ 0.5 %", "Karl Fischer")]
    tiers = {(t.grade, t.min_kg, t.currency): t.price_per_kg for t in ingredient.price_tiers}
    assert tiers == {("USP", Decimal(100), "USD"): Decimal("31.50"),
                     ("USP", Decimal(500), "USD"): Decimal("28.00"),  # "usp" is the USP grade
                     ("Food", Decimal(100), "EUR"): Decimal("24.10")}
    assert all(isinstance(price, Decimal) for price in tiers.values())
    [event] = _events("ingredient.created")
    assert event.actor_id == admin.id and event.object_id == ingredient.id
    assert event.detail == {"slug": "l-carnitine-tartrate", "specs": 2, "price_tiers": 3}
    listing = client.get("/dashboard/catalog/").get_data(as_text=True)
    assert "L-Carnitine Tartrate" in listing and "“L-Carnitine Tartrate” is saved." in listing
    public = client.get("/ingredients/l-carnitine-tartrate").get_data(as_text=True)
    assert "Karl Fischer" in public and "31.50" not in public


def test_admin_edits_specs_and_tiers_in_place(client, auth):
    ingredient = make_ingredient()
    kept_tier = next(t for t in ingredient.price_tiers if t.grade == "USP")
    kept_tier_id, first_spec_id = kept_tier.id, ingredient.specs[0].id
    auth.login("admin")
    page = client.get(f"/dashboard/catalog/{ingredient.id}").get_data(as_text=True)
    assert 'value="Taurine"' in page and 'value="USP, Food"' in page
    assert 'value="25"' in page and 'value="50"' in page  # not 25.000
    assert "staff only" in page and f'value="{SECRET_DOSE}"' in page
    assert 'value="Loss on drying"' in page
    response = client.post(f"/dashboard/catalog/{ingredient.id}", data=_form(
        specs=[("Assay", "99.0–101.0 %", "HPLC"), ("Loss on drying", "", "")],
        tiers=[("USP", "50", "12.00", "USD"), ("USP", "200", "11.25", "USD"),
               ("Food", "0", "", "USD")],
        name="Taurine", slug="taurine", cas_number="107-35-7", grades="USP, Food",
        moq_kg="75", max_daily_dose_mg="", featured=None))
    # The spec row without a limit and the tier without a price are refused, not dropped,
    # and the summary links to each cell.
    assert response.status_code == 400
    summary = _summary(response.get_data(as_text=True))
    assert "Nothing was saved" in summary and "autofocus" in summary
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary) == [
        ("specs-1-limit", "Spec row 2 · Limit: Give the limit for “Loss on drying”."),
        ("price_tiers-2-price_per_kg", "Price tier 3 · Price per kg: Enter the price per kg."),
    ]
    response = client.post(f"/dashboard/catalog/{ingredient.id}", data=_form(
        specs=[("Assay", "99.0–101.0 %", "HPLC")],
        tiers=[("USP", "50", "12.00", "USD"), ("USP", "200", "11.25", "USD")],
        name="Taurine", slug="taurine", cas_number="107-35-7", grades="USP, Food",
        moq_kg="75", max_daily_dose_mg="", featured=None))
    assert response.status_code == 302
    db.session.refresh(ingredient)
    assert ingredient.moq_kg == 75 and ingredient.max_daily_dose_mg is None
    assert not ingredient.featured
    assert [(s.id, s.limit) for s in ingredient.specs] == [(first_spec_id, "99.0–101.0 %")]
    assert _count(SpecRow) == 1
    assert [(t.grade, t.min_kg, t.price_per_kg) for t in ingredient.price_tiers] == [
        ("USP", Decimal(50), Decimal("12.00")), ("USP", Decimal(200), Decimal("11.25"))]
    assert ingredient.price_tiers[0].id == kept_tier_id  # same (grade, min kg, currency)
    [event] = _events("ingredient.updated")
    assert set(event.detail["changed"]) >= {"description", "forms", "moq_kg",
                                            "max_daily_dose_mg", "featured", "specs",
                                            "price_tiers"}


def test_saving_without_changes_records_no_event(client, auth):
    ingredient = make_ingredient(description="", forms=[])
    auth.login("admin")
    form = _form(
        specs=[(s.parameter, s.limit, s.method) for s in ingredient.specs],
        tiers=[(t.grade, f"{t.min_kg.normalize():f}", f"{t.price_per_kg}", t.currency)
               for t in ingredient.price_tiers],
        name="Taurine", slug="taurine", cas_number="107-35-7", description="", forms="",
        grades="USP, Food", moq_kg="50", lead_time_days="18",
        max_daily_dose_mg=f"{ingredient.max_daily_dose_mg}")
    assert client.post(f"/dashboard/catalog/{ingredient.id}", data=form).status_code == 302
    assert _events("ingredient.updated") == []


def _summary(page: str) -> str:
    """The error summary at the top of an editor page sent back with errors."""
    return html.unescape(error_summary(page))


REFUSED = {
    "a CAS number whose check digit is wrong": (
        {"cas_number": "36687-82-9"}, "its check digit (the last one) does not match"),
    "a CAS number in the wrong shape": (
        {"cas_number": "3668782-8"}, "Write the CAS number as digits in three groups"),
    "a minimum order that is not whole packs": (
        {"moq_kg": "110"}, "The minimum order must be a whole number of 25 kg packs"),
    "a minimum order below one pack": (
        {"moq_kg": "10"}, "The minimum order must be at least one pack (25 kg)."),
    "a pack size of zero": ({"pack_size_kg": "0"}, "Enter a pack size in kg above 0"),
    "a tier for a grade not offered": (
        {"price_tiers-1-grade": "EP"}, "“EP” is not one of this ingredient's grades (USP, Food)."),
    "the same tier twice": (
        {"price_tiers-1-min_kg": "100"}, "Row 1 already prices USP from 100 kg in USD."),
    "a price with three decimals": (
        {"price_tiers-0-price_per_kg": "31.505"}, "Use at most 2 decimal places for the price"),
    "a negative minimum": ({"price_tiers-0-min_kg": "-1"}, "Enter a minimum kg from 0"),
    "an invalid slug": ({"slug": "L Serine!"}, "Use only lower-case letters"),
    "a price that is not a number": ({"price_tiers-0-price_per_kg": "cheap"}, "Enter a price"),
    "a grade too long for a price tier": (
        {"grades": "USP, Food, " + "G" * 41}, "Keep each one to at most 40 characters."),
    "a control character in the grades": (
        {"grades": "USP,\x00Food"}, "single line without control characters"),
    "a pack size finer than a gram (no whole packs can be counted)": (
        {"pack_size_kg": "1e-9999999"}, "Use at most 3 decimal places for the pack size"),
    "a minimum that is not a number": (
        {"price_tiers-0-min_kg": "sNaN"}, "Enter the minimum kg as a number."),
    "an infinite price": (
        {"price_tiers-0-price_per_kg": "Infinity"}, "Enter the price per kg as a number."),
    "a price that is no number": (
        {"price_tiers-0-price_per_kg": "sNaN"}, "Enter the price per kg as a number."),
    "a larger quantity priced higher per kg than a smaller one": (
        {"price_tiers-1-price_per_kg": "32.00"},
        "USP from 500 kg would cost more per kg (32.00 USD) than from 100 kg (31.50 USD)"),
    "a price with a million digits": (
        {"price_tiers-0-price_per_kg": "1e999999"}, "Enter a price per kg above 0 and up to"),
}


@pytest.mark.parametrize("change", REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_ingredient_shows_why_and_saves_nothing(client, auth, change):
    overrides, message = change
    auth.login("admin")
    response = client.post("/dashboard/catalog/new",
                           data=_form(GOOD_SPECS, GOOD_TIERS, **overrides))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in _summary(page)
    assert 'aria-invalid="true"' in page
    assert (_count(Ingredient), _count(SpecRow), _count(PriceTier)) == (0, 0, 0)
    assert _events("ingredient.created") == []


def test_a_refused_edit_leaves_the_ingredient_as_it_was(client, auth):
    ingredient = make_ingredient()
    before = (ingredient.name, ingredient.moq_kg, len(ingredient.specs),
              sorted((t.grade, t.min_kg, t.price_per_kg) for t in ingredient.price_tiers))
    auth.login("admin")
    response = client.post(f"/dashboard/catalog/{ingredient.id}", data=_form(
        specs=[("Renamed", "x", "y")], tiers=[("USP", "50", "1.00", "USD")],
        name="Renamed", slug="taurine", moq_kg="60"))  # 60 kg is not whole 25 kg packs
    assert response.status_code == 400
    assert "Minimum order (kg): The minimum order must be a whole number of 25 kg packs" in \
        _summary(response.get_data(as_text=True))
    db.session.expire_all()
    ingredient = db.session.get(Ingredient, ingredient.id)
    assert (ingredient.name, ingredient.moq_kg, len(ingredient.specs),
            sorted((t.grade, t.min_kg, t.price_per_kg) for t in ingredient.price_tiers)) == before
    assert _events("ingredient.updated") == []


def test_numbers_beyond_arithmetic_in_an_edit_are_all_refused(client, auth):
    ingredient = make_ingredient()
    tiers = sorted((t.grade, t.min_kg, t.price_per_kg) for t in ingredient.price_tiers)
    auth.login("admin")
    response = client.post(f"/dashboard/catalog/{ingredient.id}", data=_form(
        tiers=[("USP", "sNaN", "Infinity", "USD"), ("Food", "0", "1e999999", "EUR")],
        slug="taurine", pack_size_kg="1e-9999999"))
    assert response.status_code == 400
    page = _summary(response.get_data(as_text=True))
    for message in ("Use at most 3 decimal places for the pack size in kg.",
                    "Enter the minimum kg as a number.", "Enter the price per kg as a number.",
                    "Enter a price per kg above 0 and up to 1,000,000."):
        assert message in page
    db.session.expire_all()
    ingredient = db.session.get(Ingredient, ingredient.id)
    assert (ingredient.name, ingredient.pack_size_kg) == ("Taurine", Decimal(25))
    assert sorted((t.grade, t.min_kg, t.price_per_kg) for t in ingredient.price_tiers) == tiers
    assert _events("ingredient.updated") == []


def test_a_slug_in_use_is_refused(client, auth):
    make_ingredient()
    auth.login("admin")
    response = client.post("/dashboard/catalog/new", data=_form(name="Taurine"))
    assert response.status_code == 400
    assert "Slug: The slug “taurine” (made from the name) is already used by “Taurine”." in \
        _summary(response.get_data(as_text=True))
    assert _count(Ingredient) == 1


def test_add_rows_shows_five_more_empty_rows_and_saves_nothing(client, auth):
    auth.login("admin")
    page = client.get("/dashboard/catalog/new").get_data(as_text=True)
    assert page.count('name="specs-') // 3 == 3 and page.count('name="price_tiers-') // 4 == 3
    data = _form(GOOD_SPECS, save=None, add_spec_rows="Add 5 spec rows")
    response = client.post("/dashboard/catalog/new", data=data)
    assert response.status_code == 200  # no mistake: nothing was meant to be saved yet
    page = response.get_data(as_text=True)
    assert 'id="error-summary"' not in page
    assert page.count('name="specs-') // 3 == len(GOOD_SPECS) + 5
    assert 'value="Karl Fischer"' in page  # what was typed is kept
    assert _count(Ingredient) == 0
    data = _form(tiers=GOOD_TIERS, save=None, add_tier_rows="Add 5 price tiers")
    page = client.post("/dashboard/catalog/new", data=data).get_data(as_text=True)
    assert page.count('name="price_tiers-') // 4 == len(GOOD_TIERS) + 5


def test_the_list_shows_inactive_ingredients_too(client, auth):
    make_ingredient(name="Old Stock", slug="old-stock", active=False)
    auth.login("admin")
    page = client.get("/dashboard/catalog/").get_data(as_text=True)
    assert "Old Stock" in page and "Inactive" in page
    assert 'href="/ingredients/old-stock"' not in page  # no public page to view


@pytest.mark.parametrize("role", ["sales", "moderator"])
def test_other_roles_may_not_open_or_post_to_the_catalog_admin(client, auth, role):
    ingredient = make_ingredient()
    auth.login(role)
    assert client.get("/dashboard/catalog/").status_code == 403
    for path in ("/dashboard/catalog/new", f"/dashboard/catalog/{ingredient.id}"):
        assert client.get(path).status_code == 403, path
        assert client.post(path, data=_form(GOOD_SPECS, GOOD_TIERS)).status_code == 403, path
    assert _count(Ingredient) == 1
    db.session.refresh(ingredient)
    assert ingredient.name == "Taurine"


@pytest.mark.parametrize(("cas", "valid"), [
    ("56-45-1", True), ("7732-18-5", True), ("14783-68-7", True), ("107-35-7", True),
    ("56-45-2", False), ("7732-18-4", False), ("5-45-1", False), ("56-4-1", False),
    ("12345678-12-1", False), ("56451", False), ("", False),
])
def test_cas_check_digit(cas, valid):
    assert rules.cas_check_digit_ok(cas) is valid


def test_a_cas_number_typed_in_full_width_digits_is_stored_in_ascii(app):
    """A CAS number is ASCII: one pasted from a Japanese or Chinese document is converted;
    digits of other scripts (which the pattern's \\d matched) are refused."""
    ingredient = make_ingredient(cas_number="１０７-３５-７")
    assert ingredient.cas_number == "107-35-7"
    with pytest.raises(CatalogError) as caught:
        make_ingredient(slug="taurine-2", cas_number="١٠٧-٣٥-٧")  # Arabic-Indic digits
    assert [p.field for p in caught.value.problems] == ["cas_number"]
    assert "Write the CAS number as digits in three groups" in str(caught.value)


def test_the_operation_lists_every_problem_at_once(app):
    with pytest.raises(CatalogError) as caught:
        operations.save_ingredient(
            db.session, name="Broken", slug=None, cas_number="56-45-2", description="",
            grades=["USP"], forms=[], pack_size_kg=Decimal(20), moq_kg=Decimal(30),
            lead_time_days=10, max_daily_dose_mg=None, featured=False, active=True,
            specs=[SpecLine("", "dropped"), SpecLine("Assay", "99 %")],
            tiers=[TierLine("USP", Decimal(0), Decimal("1.00"), "USD"),
                   TierLine("USP", Decimal("0.000"), Decimal("2.00"), "USD"),
                   TierLine("Feed", Decimal(5), Decimal("1.00"), "JPY")],
            actor=None)
    problems = {(p.field, p.row, p.column) for p in caught.value.problems}
    assert problems == {("cas_number", None, None), ("moq_kg", None, None),
                        ("tiers", 1, "min_kg"), ("tiers", 2, "grade"),
                        ("tiers", 2, "currency")}
    assert _count(Ingredient) == 0


def test_the_operation_makes_an_ingredient_without_http(app):
    ingredient = make_ingredient(tiers=[TierLine("food", Decimal("0.5"), Decimal("9.9"), "GBP")])
    assert ingredient.id is not None and ingredient.slug == "taurine"
    [tier] = ingredient.price_tiers
    assert (tier.grade, tier.min_kg, tier.price_per_kg, tier.currency) == (
        "Food", Decimal("0.5"), Decimal("9.90"), "GBP")
    assert _events("ingredient.created")[0].actor_id is None


def test_a_slug_taken_between_the_check_and_the_save_is_a_form_error(client, auth,
                                                                      monkeypatch):
    """Two admins adding the same ingredient at once: the second gets the form error."""
    check = rules._checked_slug

    def another_admin_saves_first(session, checker, **kwargs):
        slug = check(session, checker, **kwargs)
        if not _count(Ingredient):  # the other admin's save lands right after our check
            with Session(db.engine) as other:
                other.add(Ingredient(slug=slug, name="Their taurine", pack_size_kg=Decimal(25),
                                     moq_kg=Decimal(25)))
                other.commit()
        return slug

    monkeypatch.setattr(operations, "_checked_slug", another_admin_saves_first)
    auth.login("admin")
    response = client.post("/dashboard/catalog/new", data=_form(name="Taurine"))
    assert response.status_code == 400
    assert "The slug “taurine” (made from the name) is already used by “Their taurine”." in \
        _summary(response.get_data(as_text=True))
    assert _count(Ingredient) == 1


def test_a_save_over_someone_elses_newer_save_is_refused_and_keeps_what_was_typed(client,
                                                                                  auth):
    """Two admins open the same ingredient; the first changes only a price tier. The
    second's save would silently put the old price back: refused (409), saying who."""
    from tests.factories import make_user

    ingredient = make_ingredient()
    first = make_user(role="admin", name="Fay First")
    auth.login("admin")
    opened = client.get(f"/dashboard/catalog/{ingredient.id}").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in opened
    operations.save_ingredient(
        db.session, ingredient=ingredient, name="Taurine", slug="taurine",
        cas_number="107-35-7", description=ingredient.description, grades=["USP", "Food"],
        forms=["Powder"], pack_size_kg=Decimal(25), moq_kg=Decimal(50), lead_time_days=18,
        max_daily_dose_mg=SECRET_DOSE, featured=True, active=True,
        specs=[SpecLine(s.parameter, s.limit, s.method) for s in ingredient.specs],
        tiers=[TierLine("USP", Decimal(50), Decimal("39.90"), "USD")], actor=first)
    db.session.commit()
    assert ingredient.version == 2  # a change of tiers alone is a new version too
    stale = _form(GOOD_SPECS, [("USP", "50", "45.00", "USD")], name="Taurine",
                  slug="taurine", moq_kg="50", version="1")
    response = client.post(f"/dashboard/catalog/{ingredient.id}", data=stale)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "This ingredient was changed by Fay First at" in page
    assert 'value="45.00"' in page and 'name="version" type="hidden" value="2"' in page
    db.session.expire_all()
    assert [t.price_per_kg for t in db.session.get(Ingredient, ingredient.id).price_tiers] == [
        Decimal("39.90")]
    response = client.post(f"/dashboard/catalog/{ingredient.id}", data={**stale, "version": "2"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [t.price_per_kg for t in db.session.get(Ingredient, ingredient.id).price_tiers] == [
        Decimal("45.00")]
