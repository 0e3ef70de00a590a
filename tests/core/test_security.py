from crm.core.urls import external_url


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "Strict-Transport-Security" not in response.headers


def test_no_inline_script_in_pages(client, auth):
    auth.login("admin")
    for path in ("/", "/login", "/dashboard/", "/dashboard/users/"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page.replace(" ", ""), path
        assert " on" + "click=" not in page, path


def test_hsts_when_served_over_https_behind_a_proxy(make_app):
    app = make_app(CRM_PROXY_HOPS=1)
    response = app.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_proxy_headers_ignored_without_proxy_hops(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_untrusted_host_is_refused(make_app):
    app = make_app(TRUSTED_HOSTS=["crm.example.test"])
    assert app.test_client().get("/", headers={"Host": "evil.example"}).status_code == 400
    assert app.test_client().get("/", headers={"Host": "crm.example.test"}).status_code == 200


def test_email_links_come_from_the_base_url_not_the_host(app):
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert external_url("/q/abc") == "https://crm.example.test/q/abc"


def test_bootstrap_is_served_locally(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/bootstrap/static/css/bootstrap.min.css"' in page
    assert "cdn" not in page.lower()
    with client.get("/bootstrap/static/css/bootstrap.min.css") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"
