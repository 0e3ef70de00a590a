import pytest
from flask import abort

from crm import create_app


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500, 503])
def test_error_pages_are_styled_and_never_a_traceback(make_app, code):
    app = make_app()

    @app.get("/boom/<int:status>")
    def boom(status):
        abort(status)

    response = app.test_client().get(f"/boom/{code}")
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert "Northfield Ingredients" in page  # the site's layout
    assert "Traceback" not in page
    assert f">{code}<" in page


def test_unexpected_exception_gives_the_500_page(make_app):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/crash")
    def crash():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/crash")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "secret internal detail" not in page


def test_unknown_page_is_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_wrong_method_is_405(client):
    assert client.delete("/login").status_code == 405


def test_oversized_body_is_413(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post("/login", data={"email": "a@b.c", "password": "x" * 5000})
    assert response.status_code == 413
    assert b"larger than this site accepts" in response.data


def test_database_down_gives_503_nothing_saved(tmp_path):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x",
         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"},
        instance_path=str(tmp_path),
    )
    response = app.test_client().get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page
    assert "Traceback" not in page and "sqlite3" not in page
