import html
import re

import pytest

from crm.auth.operations import password_reset_token
from tests.catalog import make_ingredient
from tests.conftest import error_summary
from tests.factories import make_article, make_comment, make_user


@pytest.mark.parametrize("value", ["a\x00b@example.com", "a@example.com\r\nBcc: x@evil.example"])
def test_control_characters_in_a_single_line_field_are_refused(client, value):
    response = client.post("/login", data={"email": value, "password": "whatever"})
    assert response.status_code == 400
    assert b"single line without control characters" in response.data


def test_control_characters_refused_in_admin_form_and_nothing_saved(client, auth):
    auth.login("admin")
    response = client.post("/dashboard/users/new", data={
        "email": "new@example.com", "name": "Eve\r\nInjected", "role": "sales",
        "password": "a long enough password", "active": "y"})
    assert response.status_code == 400
    assert b"single line without control characters" in response.data
    assert b"new@example.com" not in client.get("/dashboard/users/").data


def test_required_fields_marked_and_errors_beside_the_field(client, auth):
    auth.login("admin")
    page = client.post("/dashboard/users/new", data={"email": "", "name": ""}).get_data(
        as_text=True)
    assert '<span class="required" aria-hidden="true">*</span>' in page
    assert 'id="email-error"' in page and 'aria-describedby="email-error"' in page


# Each form sent with a mistake: (role, or None for a form people use signed out, its address,
# what is sent, the summary's title, its first link).
FORMS = {
    "sign-in": (None, lambda: "/login", {"email": "", "password": "whatever"},
                "You are not signed in", '<a href="#email">Email: This field is required.</a>'),
    "forgotten password": (None, lambda: "/login/forgot", {"email": ""}, "No link was sent",
                           '<a href="#email">Email: This field is required.</a>'),
    "password reset": (None, lambda: f"/login/reset/{password_reset_token(make_user())}",
                       {"new_password": "short", "confirm": "short"},
                       "Your password was not changed",
                       '<a href="#new_password">New password: Use at least 10 characters (and '
                       'at most 200).</a>'),
    "password": ("sales", lambda: "/account/password",
                 {"current_password": "", "new_password": "x", "confirm": "y"},
                 "Your password was not changed",
                 '<a href="#current_password">Current password: This field is required.</a>'),
    "new user": ("admin", lambda: "/dashboard/users/new", {"email": "", "name": "Nia"},
                 "Nothing was saved", '<a href="#email">Email: This field is required.</a>'),
    "user": ("admin", lambda: f"/dashboard/users/{make_user().id}",
             {"email": "nia@example.com", "name": "", "role": "sales"},
             "Nothing was saved", '<a href="#name">Name: This field is required.</a>'),
    "new article": ("admin", lambda: "/dashboard/articles/new", {"title": "", "save": "Save"},
                    "Nothing was saved", '<a href="#title">Title: This field is required.</a>'),
    "article": ("admin", lambda: f"/dashboard/articles/{make_article().id}",
                {"title": "", "body_markdown": "Text", "save": "Save"},
                "Nothing was saved", '<a href="#title">Title: This field is required.</a>'),
    "moderation settings": (
        "admin", lambda: "/dashboard/moderation/settings", {"max_links": "-1"},
        "Nothing was saved", '<a href="#max_links">Most links a comment may hold before it is '
                             'held: Use a whole number from 0 to 1,000.</a>'),
    "comment": ("moderator", lambda: f"/dashboard/moderation/{make_comment().id}/edit",
                {"author_name": "Ana", "body": ""}, "Nothing was saved",
                '<a href="#body">Comment: The comment cannot be empty.</a>'),
    "reply": ("moderator", lambda: f"/dashboard/moderation/{make_comment().id}/reply",
              {"body": " "}, "Your reply was not posted",
              '<a href="#reply-body">Your reply: Write your reply.</a>'),
    "new ingredient": ("admin", lambda: "/dashboard/catalog/new",
                       {"name": "", "pack_size_kg": "25", "moq_kg": "25", "save": "Save"},
                       "Nothing was saved", '<a href="#name">Name: This field is required.</a>'),
    "ingredient": ("admin", lambda: f"/dashboard/catalog/{make_ingredient().id}",
                   {"name": "Taurine", "grades": "USP", "pack_size_kg": "25", "moq_kg": "50",
                    "lead_time_days": "14", "price_tiers-0-grade": "USP",
                    "price_tiers-0-min_kg": "50", "price_tiers-0-price_per_kg": "a lot",
                    "price_tiers-0-currency": "USD", "save": "Save"},
                   "Nothing was saved", '<a href="#price_tiers-0-price_per_kg">Price tier 1 · '
                                        'Price per kg: Enter a price, e.g. 42.50.</a>'),
}


@pytest.mark.parametrize(("role", "path", "data", "title", "link"), FORMS.values(),
                         ids=FORMS.keys())
def test_a_form_sent_with_mistakes_sums_them_up_at_the_top(
        client, auth, role, path, data, title, link):
    if role:
        auth.login(role)
    url = path()
    response = client.post(url, data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.index('id="error-summary"') < page.index('aria-invalid="true"')  # above them
    summary = html.unescape(error_summary(page))
    assert title in summary and "autofocus" in summary
    assert link in summary
    assert page.count('role="alert"') == 1  # the summary, not another alert beside it
    response = client.get(url.removesuffix("/reply"))  # as first shown
    assert response.status_code == 200
    assert 'id="error-summary"' not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/contact", "/dashboard/catalog/new"])
def test_numbers_are_typed_as_text_so_that_a_browser_sends_what_was_typed(client, auth, path):
    """A browser sends a number input it cannot read ("1,000", "42,50") empty, which a form
    takes for "left blank": every amount is a text input with a number keypad instead, and
    the form explains what it cannot read."""
    auth.login("admin")
    page = client.get(path).get_data(as_text=True)
    assert 'type="number"' not in page
    assert re.search(r'<input[^>]*inputmode="decimal"[^>]*type="text"|'
                     r'<input[^>]*type="text"[^>]*inputmode="decimal"', page)
