"""The staff pages fit the screen, a desktop's and a phone's: what is wider scrolls in its own
box, and the page itself never scrolls sideways."""

import pytest
from sqlalchemy import select

from crm.articles.models import Article
from crm.catalog.models import Ingredient
from crm.extensions import db
from tests.e2e.checks import assert_no_horizontal_scroll
from tests.e2e.test_journeys import _new_lead, sign_in
from tests.factories import make_comment


@pytest.mark.parametrize("width", [1280, 390])
def test_staff_pages_never_scroll_sideways(site, page, width):
    lead_id, _ = _new_lead(site, f"Layout{width}")
    with site.app.app_context():
        ingredient_id = db.session.scalar(select(Ingredient.id).limit(1))
        comment_id = make_comment(db.session.scalar(select(Article).limit(1)),
                                  status="pending").id
    sign_in(page, site, "admin")
    for path in ("/dashboard/", "/dashboard/leads/", "/dashboard/leads/board",
                 f"/dashboard/leads/{lead_id}", "/dashboard/moderation/",
                 f"/dashboard/moderation/{comment_id}", "/dashboard/catalog/",
                 f"/dashboard/catalog/{ingredient_id}", "/dashboard/articles/",
                 "/dashboard/users/", "/dashboard/emails/", "/dashboard/quotes/?view=all"):
        assert page.goto(site.url + path).status == 200, path
        assert_no_horizontal_scroll(page, width)
