import html

import pytest

from tests.factories import make_article, make_comment, make_user


@pytest.mark.parametrize("value", ["a\x00b@example.com", "a@example.com\r\nBcc: x@evil.example"])
def test_control_characters_in_a_single_line_field_are_refused(client, value):
    response = client.post("/login", data={"email": value, "password": "whatever"})
    assert response.status_code == 200
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


# Each staff form sent with a mistake: (role, its address, what is sent, the summary's title,
# its first link).
STAFF_FORMS = {
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
}


@pytest.mark.parametrize(("role", "path", "data", "title", "link"), STAFF_FORMS.values(),
                         ids=STAFF_FORMS.keys())
def test_a_staff_form_sent_with_mistakes_sums_them_up_at_the_top(
        client, auth, role, path, data, title, link):
    auth.login(role)
    url = path()
    page = client.post(url, data=data).get_data(as_text=True)
    start = page.index('id="error-summary"')
    assert start < page.index('aria-invalid="true"')  # above the fields
    summary = html.unescape(page[start:page.index("</div>", start)])
    assert title in summary and "autofocus" in summary
    assert link in summary
    page = client.get(url.removesuffix("/reply")).get_data(as_text=True)  # as first shown
    assert 'id="error-summary"' not in page
