"""The public quote-request form: its fields, validation, scripts and the thank-you page."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.catalog.models import Ingredient
from crm.core.types import utcnow
from crm.extensions import db
from crm.intake.requests import DOCUMENTS
from tests.conftest import error_summary

PUBLIC_FIELDS = (
    "company", "name", "email", "phone", "country", "message", "consent", "company_type",
    "job_title", "formulation_type", "dose_mg", "servings_per_unit", "units", "overage_pct",
    "target_market", "project_stage", "target_launch", "sample_wanted", "ticket", "website",
    "source_page", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
)
LINE_FIELDS = ("ingredient", "other", "grade", "form", "quantity_kg", "compute", "dose_mg")


def _with_intake(app):
    if "intake" not in app.blueprints:  # until crm/__init__.py registers the blueprint
        from crm.intake.views import bp

        app.register_blueprint(bp)
    return app


@pytest.fixture
def app(make_app):
    return _with_intake(make_app())


@pytest.fixture
def catalog(app):
    """L-serine in 25 kg drums, glycine in 20 kg bags, and a retired ingredient."""
    rows = [
        Ingredient(slug="l-serine", name="L-Serine", grades=["USP", "FCC"],
                   forms=["Crystalline", "Powder"], pack_size_kg=Decimal(25),
                   moq_kg=Decimal(25), featured=True),
        Ingredient(slug="glycine", name="Glycine", grades=["USP"], forms=["Powder"],
                   pack_size_kg=Decimal(20), moq_kg=Decimal(20)),
        Ingredient(slug="retired", name="Retired Amino", grades=[], forms=[],
                   pack_size_kg=Decimal(10), moq_kg=Decimal(10), active=False),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return {row.slug: row for row in rows}


def _page(client, path="/contact", **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _hidden(page: str, name: str) -> str:
    return re.search(rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', page).group(1)


def _valid(**overrides) -> dict:
    """500 mg × 60 capsules × 10,000 bottles × 5 % overage of L-serine, computed."""
    data = {
        "company": "Acme Nutrition", "name": "Ana Formulator", "email": "ana@acme.example",
        "phone": "+1 555 0100", "country": "US", "company_type": "brand owner",
        "job_title": "Product developer", "formulation_type": "capsule", "dose_mg": "500",
        "servings_per_unit": "60", "units": "10000", "overage_pct": "5",
        "target_market": "United States", "project_stage": "sampling",
        "lines-0-ingredient": "l-serine", "lines-0-grade": "USP", "lines-0-form": "Powder",
        "lines-0-compute": "y", "lines-1-ingredient": "", "lines-2-ingredient": "",
        "documents": ["coa", "spec"], "sample_wanted": "y", "consent": "y",
        "message": "Capsule project for the US market.", "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _post(client, data=None, ticket=None, page_path="/contact", **overrides):
    data = dict(data or _valid(**overrides))
    data.setdefault("ticket", ticket or _hidden(_page(client, page_path), "ticket"))
    return client.post("/contact", data=data)


def _inquiries():
    from crm.leads.models import Inquiry

    return db.session.scalars(select(Inquiry).order_by(Inquiry.id)).all()


def _count_inquiries() -> int:
    from crm.leads.models import Inquiry

    return db.session.scalar(select(func.count()).select_from(Inquiry))


def _operation():
    return pytest.importorskip(
        "crm.intake.operations",
        reason="crm.intake.operations (the intake operation) is not written yet",
    )


# -- the page --------------------------------------------------------------------------


def test_form_has_every_public_field_and_three_line_slots(catalog, client):
    page = _page(client)
    for name in PUBLIC_FIELDS:
        assert f'name="{name}"' in page, name
    for key in DOCUMENTS:
        assert re.search(rf'name="documents" type="checkbox" value="{key}"', page), key
    for index in range(3):
        for name in LINE_FIELDS:
            assert f'name="lines-{index}-{name}"' in page, (index, name)
        assert f'<output id="lines-{index}-kg"' in page
    assert 'name="lines-3-ingredient"' not in page
    assert 'name="lines-__index__-ingredient"' in page  # inside <template>, for contact.js
    legends = re.findall(r'<legend class="step-legend">.*?</span> ([^<]+)</legend>', page)
    assert legends == ["You", "Your product", "Ingredients", "Documents and samples"]
    assert re.search(r'<option value="l-serine"[^>]* data-pack-size-kg="25">L-Serine<', page)
    assert 'value="other">Other (describe it)</option>' in page
    assert "Retired Amino" not in page
    assert '<option value="US">United States</option>' in page
    assert 'href="/privacy"' in page
    assert _page(client, "/privacy").count("Privacy notice") >= 1


def test_each_line_has_a_remove_button_that_only_the_script_shows(catalog, client):
    """contact.js shows it; without JavaScript a line is removed by clearing it."""
    page = _page(client)
    buttons = re.findall(r'<button type="button" class="[^"]*\bline-remove\b[^"]*"([^>]*)>', page)
    assert buttons == [" hidden"] * 4  # the three slots and the template


def test_every_control_has_a_label(catalog, client):
    page = _page(client).split('<template id="line-template">')[0]
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', page)
    hidden = set(re.findall(r'<input[^>]*\sid="([^"]+)"[^>]*type="hidden"', page))
    documents = {f"documents-{n}" for n in range(len(DOCUMENTS))}
    for control in set(ids) - hidden:
        assert f'for="{control}"' in page, control
    assert documents <= set(ids)


def test_csrf_token_is_in_the_form_when_csrf_is_on(catalog, make_app):
    app = _with_intake(make_app(WTF_CSRF_ENABLED=True))
    page = _page(app.test_client())
    assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', page)
    assert 'name="lines-0-csrf_token"' not in page


def test_a_head_request_is_answered_as_the_page(catalog, client):
    """Link checkers and uptime probes ask with HEAD: the page is there, not a refused form."""
    response = client.head("/contact?ingredient=l-serine")
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")


def test_ingredient_in_the_query_preselects_the_first_line(catalog, client):
    page = _page(client, "/contact?ingredient=l-serine")
    first = re.search(r'<select[^>]*id="lines-0-ingredient".*?</select>', page).group(0)
    assert re.search(r'<option value="l-serine"[^>]*selected', first)
    second = re.search(r'<select[^>]*id="lines-1-ingredient".*?</select>', page).group(0)
    assert "selected" not in second
    grades = re.search(r'<datalist id="lines-0-grade-options">(.*?)</datalist>', page).group(1)
    assert grades == '<option value="USP"></option><option value="FCC"></option>'


@pytest.mark.parametrize("slug", ["no-such-thing", "retired", "other", ""])
def test_unknown_or_retired_ingredient_in_the_query_is_ignored(catalog, client, slug):
    page = _page(client, f"/contact?ingredient={slug}")
    first = re.search(r'<select[^>]*id="lines-0-ingredient".*?</select>', page).group(0)
    assert "selected" not in first


def test_utm_tags_and_referring_page_are_kept_in_hidden_fields(catalog, client):
    page = _page(client, "/contact?utm_source=newsletter&utm_campaign=spring%0D%0A&x=1",
                 headers={"Referer": "https://blog.example/serine?a=1"})
    assert _hidden(page, "utm_source") == "newsletter"
    assert _hidden(page, "utm_campaign") == "spring"
    assert _hidden(page, "utm_medium") == ""
    assert _hidden(page, "source_page") == "https://blog.example/serine?a=1"


@pytest.mark.parametrize(("referer", "kept"), [
    ("javascript:alert(1)", ""),
    ("/relative/page", ""),
    ("https://blog.example/" + "x" * 600, "https://blog.example/" + "x" * 479),
])
def test_only_http_referrers_are_kept_and_cut_to_500_characters(catalog, client, referer, kept):
    page = _page(client, headers={"Referer": referer})
    assert _hidden(page, "source_page") == kept


def test_script_is_a_served_file_and_the_page_has_no_inline_script(catalog, client):
    response = client.get("/contact")
    page = response.get_data(as_text=True)
    assert '<script src="/static/js/contact.js" defer></script>' in page
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page)
    assert not re.search(r"\son[a-z]+=", page)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    with client.get("/static/js/contact.js") as script:
        assert script.status_code == 200
        assert "javascript" in script.mimetype
        assert b"data-pack-size-kg" in script.data


def test_request_a_quote_links_on_the_home_page_and_in_the_navbar(catalog, client):
    page = _page(client, "/")
    assert page.count('href="/contact"') >= 2  # navbar and hero
    assert 'href="/contact?ingredient=l-serine"' in page


# -- validation ------------------------------------------------------------------------


def test_required_fields_get_messages_beside_them_and_nothing_is_saved(catalog, client):
    response = _post(client, data={"lines-0-ingredient": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Some answers need attention" in page
    for field_id, message in [
        ("company", "Tell us your company&#39;s name."),
        ("name", "Tell us your name."),
        ("email", "We need your email to reply."),
        ("country", "Choose your country."),
        ("consent", "Tick this box so that we may reply."),
        ("lines-0-ingredient", "Choose at least one ingredient."),
    ]:
        assert f'<div id="{field_id}-error" class="invalid-feedback d-block">{message}</div>' \
            in page, field_id
        assert f'aria-describedby="{field_id}-error"' in page
        assert f'<a href="#{field_id}">' in page  # the summary at the top links to it
    assert _count_inquiries() == 0


def test_one_summary_lists_every_error_with_the_lines_and_links_to_each(catalog, client):
    """The form's own error first, then each field's in the form's order, ingredient lines
    included, named after their line, each a link to its field."""
    data = _valid(company="", consent=None, target_launch="someday", **{
        "lines-0-compute": None, "lines-0-quantity_kg": "0", "lines-0-grade": "x" * 41,
        "lines-1-grade": "USP", "lines-2-ingredient": "other", "lines-2-quantity_kg": "10"})
    data["ticket"] = "forged.ticket"
    response = client.post("/contact", data=data)
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert page.index('id="error-summary"') < page.index('id="quote-form"')
    summary = error_summary(page)
    assert "Some answers need attention" in summary and "autofocus" in summary
    assert re.findall(r"<li>(.*?)</li>", summary) == [
        "This form has expired. Please check your answers and send it again.",
        '<a href="#company">Company: Tell us your company\'s name.</a>',
        '<a href="#target_launch">Target launch date: Not a valid date value.</a>',
        '<a href="#lines-0-grade">Ingredient 1 · Grade: Use at most 40 characters.</a>',
        '<a href="#lines-0-quantity_kg">Ingredient 1 · Quantity (kg): Enter a quantity above '
        '0 and up to 1,000,000 kg.</a>',
        '<a href="#lines-1-ingredient">Ingredient 2: Choose an ingredient for this line, or '
        'clear it.</a>',
        '<a href="#lines-2-other">Ingredient 3 · If other, which ingredient?: Tell us which '
        'ingredient you need.</a>',
        '<a href="#consent">Consent: Tick this box so that we may reply.</a>',
    ]
    for field_id in ("company", "lines-0-quantity_kg", "lines-1-ingredient", "lines-2-other",
                     "consent"):  # each message is beside its field too, once
        assert f'<div id="{field_id}-error" class="invalid-feedback d-block">' in page
    assert page.count("Tell us which ingredient you need.") == 2  # summary and beside it
    assert _count_inquiries() == 0


def test_no_ingredient_at_all_is_one_error_on_the_first_line(catalog, client):
    response = _post(client, **{"lines-0-ingredient": "", "lines-0-grade": None,
                                "lines-0-form": None, "lines-0-compute": None})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = page[page.index('id="error-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert re.findall(r"<li>(.*?)</li>", summary) == [
        '<a href="#lines-0-ingredient">Ingredient 1: Choose at least one ingredient.</a>']


def test_a_computed_line_without_a_product_plan_is_an_error(catalog, client):
    response = _post(client, dose_mg="", servings_per_unit="", units=None)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="lines-0-compute-error"' in page
    assert "fill in the dose, servings per unit and units" in page
    for field_id in ("dose_mg", "servings_per_unit", "units"):
        assert (f'<div id="{field_id}-error" class="invalid-feedback d-block">Needed to compute '
                "the kilograms of ingredient 1.</div>") in page
    assert _count_inquiries() == 0


def test_a_line_dose_stands_in_for_the_plan_dose(catalog, client):
    response = _post(client, dose_mg="", **{"lines-0-dose_mg": "250"})
    assert b'id="dose_mg-error"' not in response.data
    assert b'id="lines-0-compute-error"' not in response.data


@pytest.mark.parametrize(("fields", "error_id", "message"), [
    ({"company": "x" * 201}, "company", "Use at most 200 characters."),
    ({"name": "x" * 101}, "name", "Use at most 100 characters."),
    ({"email": "a" * 250 + "@acme.example"}, "email", "Use at most 254 characters."),
    ({"email": "not-an-email"}, "email", "Enter a valid email address"),
    ({"phone": "1" * 41}, "phone", "Use at most 40 characters."),
    ({"job_title": "x" * 101}, "job_title", "Use at most 100 characters."),
    ({"target_market": "x" * 101}, "target_market", "Use at most 100 characters."),
    ({"message": "y" * 5001}, "message", "Use at most 5,000 characters."),
    ({"country": "XX"}, "country", "Not a valid choice"),
    ({"company_type": "pirate"}, "company_type", "Not a valid choice"),
    ({"company": "Acme\x00Nutrition"}, "company", "single line without control characters"),
    ({"company": "Acme\r\nBcc: x@evil.example"}, "company",
     "single line without control characters"),
    ({"message": "Hello\x00"}, "message", "Remove the invisible control characters"),
    ({"dose_mg": "0"}, "dose_mg", "Enter a dose above 0 and up to 100,000 mg."),
    ({"dose_mg": "100000.001"}, "dose_mg", "Enter a dose above 0 and up to 100,000 mg."),
    ({"dose_mg": "NaN"}, "dose_mg", "Enter a number"),
    ({"dose_mg": "Infinity"}, "dose_mg", "Enter a number"),
    ({"dose_mg": "500 mg"}, "dose_mg", "Enter a number"),
    ({"dose_mg": "0.0001"}, "dose_mg", "Use at most 3 decimal places."),
    ({"servings_per_unit": "0"}, "servings_per_unit", "from 1 to 10,000."),
    ({"servings_per_unit": "10001"}, "servings_per_unit", "from 1 to 10,000."),
    ({"servings_per_unit": "1.5"}, "servings_per_unit", "Enter a whole number"),
    ({"units": "100000001"}, "units", "from 1 to 100,000,000."),
    ({"overage_pct": "-1"}, "overage_pct", "Enter a percentage from 0 to 100."),
    ({"overage_pct": "100.5"}, "overage_pct", "Enter a percentage from 0 to 100."),
    ({"target_launch": (utcnow() - timedelta(days=3)).date().isoformat()}, "target_launch",
     "Choose a date from today on."),
    ({"target_launch": "someday"}, "target_launch", "Not a valid date value."),
    ({"lines-0-ingredient": "other"}, "lines-0-other", "Tell us which ingredient you need."),
    ({"lines-0-ingredient": "other", "lines-0-other": "x" * 201}, "lines-0-other",
     "Use at most 200 characters."),
    ({"lines-0-grade": "x" * 41}, "lines-0-grade", "Use at most 40 characters."),
    ({"lines-0-form": "x" * 61}, "lines-0-form", "Use at most 60 characters."),
    ({"lines-0-ingredient": "retired"}, "lines-0-ingredient", "Not a valid choice"),
    ({"lines-0-compute": None}, "lines-0-quantity_kg", "Give a quantity in kg, or tick"),
    ({"lines-0-quantity_kg": "100"}, "lines-0-quantity_kg", "not both"),
    ({"lines-0-compute": None, "lines-0-quantity_kg": "0"}, "lines-0-quantity_kg",
     "Enter a quantity above 0 and up to 1,000,000 kg."),
    ({"lines-0-compute": None, "lines-0-quantity_kg": "1000000.5"}, "lines-0-quantity_kg",
     "Enter a quantity above 0 and up to 1,000,000 kg."),
    ({"lines-0-compute": None, "lines-0-quantity_kg": "-3"}, "lines-0-quantity_kg",
     "Enter a quantity above 0"),
    ({"lines-0-dose_mg": "200000"}, "lines-0-dose_mg", "up to 100,000 mg."),
    ({"lines-1-grade": "USP"}, "lines-1-ingredient", "Choose an ingredient for this line"),
])
def test_bad_input_gets_a_message_beside_the_field_and_saves_nothing(catalog, client, fields,
                                                                     error_id, message):
    response = _post(client, **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = re.search(rf'<div id="{error_id}-error" class="invalid-feedback d-block">([^<]*)',
                      page)
    assert error and message in error.group(1), (error_id, error and error.group(1))
    assert "Some answers need attention" in page
    assert _count_inquiries() == 0


def test_a_forged_or_missing_ticket_is_a_form_error(catalog, client):
    for ticket in ("forged.ticket", ""):
        data = _valid()
        data["ticket"] = ticket
        response = client.post("/contact", data=data)
        assert response.status_code == 400
        assert b"This form has expired" in response.data
        assert re.search(r'name="ticket" type="hidden" value="[^"]+"',
                         response.get_data(as_text=True))  # a fresh one to send again
    assert _count_inquiries() == 0


def test_the_form_keeps_what_was_typed_after_an_error(catalog, client):
    page = _post(client, email="nope", **{"lines-1-ingredient": "glycine",
                                          "lines-1-quantity_kg": "40"}).get_data(as_text=True)
    assert 'value="Acme Nutrition"' in page and 'value="nope"' in page
    second = re.search(r'<select[^>]*id="lines-1-ingredient".*?</select>', page).group(0)
    assert re.search(r'<option value="glycine"[^>]*selected', second)
    assert 'name="lines-2-ingredient"' in page  # still three slots


def test_posting_is_rate_limited_per_address(catalog, make_app):
    app = _with_intake(make_app(CRM_INQUIRY_RATE_LIMIT="2 per minute"))
    client = app.test_client()
    statuses = [client.post("/contact", data={"company": ""}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    assert client.get("/contact").status_code == 200  # reading the form is never limited


# -- sending (needs the intake operation) -----------------------------------------------


def test_a_valid_request_lands_on_its_thanks_page_with_the_servers_kilograms(catalog, client):
    _operation()
    response = _post(client)
    assert response.status_code == 303
    [inquiry] = _inquiries()
    assert re.fullmatch(r"INQ-[0-9A-Z]{6}", inquiry.reference)
    assert response.headers["Location"].endswith(f"/contact/thanks/{inquiry.reference}")
    page = _page(client, response.headers["Location"])
    assert inquiry.reference in page
    assert "315 kg → 13 × 25 kg = 325 kg" in page
    assert "Acme Nutrition" in page and "Ana Formulator" in page
    assert "Certificate of analysis (CoA)" in page and "Specification sheet" in page
    assert "What happens next" in page
    [line] = inquiry.lines
    assert (line.kg_needed, line.packs, line.kg_rounded) == (Decimal("315"), 13, Decimal("325"))
    assert line.grade == "USP" and line.form == "Powder"
    assert inquiry.documents == ["coa", "spec"] and inquiry.sample_wanted is True
    assert inquiry.submitted["company"] == ["Acme Nutrition"]
    assert inquiry.submitted["documents"] == ["coa", "spec"]
    assert not {"ticket", "csrf_token", "website"} & set(inquiry.submitted)


def test_the_form_works_with_csrf_on(catalog, make_app):
    _operation()
    client = _with_intake(make_app(WTF_CSRF_ENABLED=True)).test_client()
    page = _page(client)
    data = {**_valid(), "ticket": _hidden(page, "ticket"),
            "csrf_token": _hidden(page, "csrf_token")}
    assert client.post("/contact", data=data).status_code == 303
    assert _count_inquiries() == 1


def test_given_quantities_and_other_ingredients_are_sent_as_typed(catalog, client):
    _operation()
    response = _post(client, **{
        "lines-0-compute": None, "lines-0-quantity_kg": "120",
        "lines-1-ingredient": "other", "lines-1-other": "Magnesium citrate",
        "lines-1-quantity_kg": "50.5",
        "lines-2-ingredient": "glycine", "lines-2-compute": "y", "lines-2-dose_mg": "1000",
    })
    assert response.status_code == 303
    [inquiry] = _inquiries()
    serine, other, glycine = inquiry.lines
    assert (serine.quantity_kg_given, serine.packs, serine.kg_rounded) == (
        Decimal("120"), 5, Decimal("125"))
    assert other.ingredient_id is None and other.free_text == "Magnesium citrate"
    assert other.kg_needed == Decimal("50.5") and other.packs is None
    # The line's own dose (1,000 mg) wins over the plan's 500 mg: 630 kg → 32 × 20 kg.
    assert (glycine.kg_needed, glycine.packs, glycine.kg_rounded) == (
        Decimal("630"), 32, Decimal("640"))
    page = _page(client, response.headers["Location"])
    assert "120 kg → 5 × 25 kg = 125 kg" in page
    assert "50.5 kg" in page and "Magnesium citrate" in page
    assert "630 kg → 32 × 20 kg = 640 kg" in page


def test_at_most_ten_lines_are_taken_and_odd_line_names_are_ignored(catalog, client):
    _operation()
    lines = {f"lines-{n}-ingredient": "glycine" for n in range(12)}
    lines.update({f"lines-{n}-quantity_kg": str(n + 1) for n in range(12)})
    response = _post(client, **{"lines-0-compute": None, **lines, "lines-²-ingredient": "x"})
    assert response.status_code == 303
    [inquiry] = _inquiries()
    assert [line.quantity_kg_given for line in inquiry.lines] == [Decimal(n) for n in range(1, 11)]


def test_a_resent_form_lands_on_the_same_thanks_page_and_makes_one_inquiry(catalog, client):
    _operation()
    ticket = _hidden(_page(client), "ticket")
    first = _post(client, ticket=ticket)
    second = _post(client, ticket=ticket)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert _count_inquiries() == 1


def test_a_double_click_that_loses_the_race_shows_the_first_inquiry(catalog, client,
                                                                     monkeypatch):
    _operation()
    from sqlalchemy.exc import IntegrityError

    from crm.intake import views

    ticket = _hidden(_page(client), "ticket")
    first = _post(client, ticket=ticket)
    submit, raced = views.submit_inquiry, []

    def racing(session, **kwargs):
        if not raced:  # the twin's insert loses to the first one's (already committed)...
            raced.append(True)
            raise IntegrityError("INSERT INTO inquiries", {}, Exception("unique submission_key"))
        return submit(session, **kwargs)  # ...and running again finds that inquiry by its key

    monkeypatch.setattr(views, "submit_inquiry", racing)
    second = _post(client, ticket=ticket)
    assert second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert _count_inquiries() == 1


def test_a_taken_reference_makes_the_intake_run_again(catalog, client, monkeypatch):
    """References are random and unique in the database: drawing one already in use (about
    once in 10,000 requests at 100,000 leads) runs the whole intake again with a new one."""
    operations = _operation()
    taken = _post(client).headers["Location"].rsplit("/", 1)[1]
    fresh, drawn = operations.new_reference, []

    def draw_the_taken_one_first(*args):
        drawn.append(taken if not drawn else fresh(*args))
        return drawn[-1]

    monkeypatch.setattr(operations, "new_reference", draw_the_taken_one_first)
    response = _post(client, email="other@acme.example")
    assert response.status_code == 303 and len(drawn) == 2
    assert response.headers["Location"].endswith(f"/contact/thanks/{drawn[1]}")
    assert [i.reference for i in _inquiries()] == [taken, drawn[1]]


def test_another_browser_cannot_open_the_thanks_page(catalog, app, client):
    _operation()
    location = _post(client).headers["Location"]
    assert client.get(location).status_code == 200
    assert app.test_client().get(location).status_code == 404
    assert client.get("/contact/thanks/INQ-ZZZZZZ").status_code == 404


def test_utm_tags_and_the_source_page_reach_the_inquiry(catalog, client):
    _operation()
    page = _page(client, "/contact?ingredient=l-serine&utm_source=newsletter&utm_medium=email"
                         "&utm_campaign=serine-2026", headers={"Referer": "https://blog.example/a"})
    hidden = {name: _hidden(page, name) for name in (
        "ticket", "source_page", "utm_source", "utm_medium", "utm_campaign", "utm_term",
        "utm_content")}
    response = _post(client, data={**_valid(), **hidden})
    assert response.status_code == 303
    [inquiry] = _inquiries()
    assert inquiry.utm == {"utm_source": "newsletter", "utm_medium": "email",
                           "utm_campaign": "serine-2026"}
    assert inquiry.source_page == "https://blog.example/a"


def test_a_forged_source_page_is_dropped(catalog, client):
    _operation()
    _post(client, source_page="javascript:alert(1)")
    [inquiry] = _inquiries()
    assert inquiry.source_page is None


def test_the_honeypot_and_fill_time_go_to_the_operation(catalog, client):
    _operation()
    response = _post(client, website="http://spam.example")
    assert response.status_code == 303  # the bot learns nothing: its thanks page as usual
    assert client.get(response.headers["Location"]).status_code == 200
    [inquiry] = _inquiries()
    assert any("honeypot" in reason for reason in inquiry.spam_reasons)
    assert "website" not in inquiry.submitted


def test_a_rejected_request_is_a_message_on_the_form_and_saves_nothing(catalog, client,
                                                                       monkeypatch):
    operations = _operation()
    from crm.intake import views

    def reject(session, **kwargs):
        raise operations.IntakeRejected("One of the ingredients is no longer in our catalog.")

    monkeypatch.setattr(views, "submit_inquiry", reject)
    response = _post(client)
    assert response.status_code == 400
    assert b"One of the ingredients is no longer in our catalog." in response.data
    assert b'value="Acme Nutrition"' in response.data
    assert _count_inquiries() == 0
