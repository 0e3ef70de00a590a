import pytest


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
    assert response.status_code == 200
    assert b"single line without control characters" in response.data
    assert b"new@example.com" not in client.get("/dashboard/users/").data


def test_required_fields_marked_and_errors_beside_the_field(client, auth):
    auth.login("admin")
    page = client.post("/dashboard/users/new", data={"email": "", "name": ""}).get_data(
        as_text=True)
    assert '<span class="required" aria-hidden="true">*</span>' in page
    assert 'id="email-error"' in page and 'aria-describedby="email-error"' in page
