"""Fixtures shared by the quote tests: the demo catalog, a salesperson and their lead."""

import pytest

from tests.factories import make_user, seed_catalog, submit


@pytest.fixture
def catalog(app):
    seed_catalog()


@pytest.fixture
def owner(catalog):
    return make_user(role="sales")


@pytest.fixture
def lead(owner):
    """Ana's 500 mg × 60 × 10,000 × 5 % L-serine (USP) request, assigned to ``owner``."""
    lead = submit().lead
    assert lead.owner_id == owner.id
    return lead
