"""What a URL may hold: ids a database can store, and no NUL (PostgreSQL refuses it in text).
Anything else is a page that does not exist, never a 500."""

import pytest

from tests.factories import make_article, seed_catalog

TOO_BIG = [str(2**63), str(10**20)]


@pytest.fixture
def app(make_app):
    return make_app(PROPAGATE_EXCEPTIONS=False)


@pytest.mark.parametrize("path", [
    "/articles/a%00b", "/ingredients/a%00b", "/ingredients/a%00b.pdf",
    "/contact/thanks/INQ-%00", "/q/a%00b", "/q/a%00b.pdf", "/unsubscribe/a%00b",
    "/login/reset/a%00b",
])
def test_a_nul_in_a_path_is_no_page(client, path):
    make_article()
    seed_catalog()
    assert client.get(path).status_code == 404


def test_ids_beyond_what_a_database_stores_are_no_page(app, client, auth):
    auth.login("admin")
    id_routes = [rule for rule in app.url_map.iter_rules()
                 if "GET" in rule.methods and any(
                     type(rule._converters[name]).__name__ == "IdConverter"
                     for name in rule.arguments)]
    assert len(id_routes) >= 10  # users, emails, articles, comments, leads, catalog, quotes
    for rule in id_routes:
        for value in TOO_BIG + ["0"]:
            path = rule.build({name: value for name in rule.arguments}, append_unknown=False)[1]
            assert client.get(path).status_code == 404, path
