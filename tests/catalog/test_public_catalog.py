"""The public ingredient list, spec sheets and their PDFs: specs yes, prices and doses never."""

import base64
import io
import re

import pytest
from sqlalchemy import select

from crm.catalog.models import Ingredient, PriceTier
from crm.catalog.operations import SpecLine
from crm.catalog.pdf import html_to_pdf
from crm.extensions import db
from tests.catalog import SECRET_PRICE, make_ingredient
from tests.factories import seed_catalog

pypdf = pytest.importorskip("pypdf")

# A 1×1 PNG, to see which image references a PDF embeds.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAC"
                       "hwGA60e6kgAAAABJRU5ErkJggg==")


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _images(data: bytes) -> int:
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    xobjects = (page.get("/Resources") or {}).get("/XObject")
    return len(xobjects.get_object()) if xobjects else 0


def _staff_only_strings() -> set[str]:
    """Every price and maximum daily dose in the catalog, as a page might print them."""
    values = set()
    for tier in db.session.scalars(select(PriceTier)):
        values |= {f"{tier.price_per_kg:.2f}", f"{tier.price_per_kg:,.2f}"}
    for ingredient in db.session.scalars(select(Ingredient)):
        dose = ingredient.max_daily_dose_mg
        if dose is not None:
            values |= {f"{dose.normalize():f} mg", f"{dose.normalize():,f} mg", f"{dose:.2f}"}
    return values


def _assert_nothing_staff_only(text: str, where: str) -> None:
    assert str(SECRET_PRICE) not in text, where
    assert "4,817.63" not in text, where
    assert "73919" not in text and "73,919" not in text, where
    for value in _staff_only_strings():
        assert value not in text, (where, value)
    for word in ("USD", "EUR", "GBP", "per kg", "daily dose"):
        assert word not in text, (where, word)


def test_the_list_shows_active_ingredients_and_their_facts(client):
    seed_catalog()
    make_ingredient(name="Retired Powder", slug="retired-powder", active=False)
    page = client.get("/ingredients").get_data(as_text=True)
    assert "L-Serine" in page and "Glycine" in page
    assert "56-45-1" in page and "USP, FCC" in page and "Crystalline, Powder" in page
    assert "100 kg" in page  # glycine's minimum order, without trailing zeros
    assert "21 days" in page
    assert 'href="/ingredients/l-serine"' in page
    assert 'href="/contact?ingredient=glycine"' in page
    assert "Retired Powder" not in page


def test_a_spec_sheet_shows_the_specs_and_the_quote_link(client):
    seed_catalog()
    response = client.get("/ingredients/l-serine")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1" in page and "L-Serine" in page
    assert "CAS 56-45-1" in page
    assert "Non-essential proteinogenic amino acid" in page
    assert "Loss on drying" in page and "≤ 0.2 %" in page and "USP &lt;731&gt;" in page
    assert "25 kg" in page and "21 days" in page
    assert 'href="/contact?ingredient=l-serine"' in page
    assert "Request a quote" in page
    assert 'href="/ingredients/l-serine.pdf"' in page and "Download the spec sheet (PDF)" in page


def test_public_pages_never_show_prices_or_the_maximum_daily_dose(client):
    seed_catalog()
    make_ingredient()
    slugs = db.session.scalars(select(Ingredient.slug)).all()
    for path in ["/", "/ingredients", *(f"/ingredients/{slug}" for slug in slugs)]:
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_nothing_staff_only(response.get_data(as_text=True), path)


def test_the_pdf_is_a_real_spec_sheet_without_prices_or_doses(client):
    make_ingredient()
    response = client.get("/ingredients/taurine.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert 'filename="taurine-spec-sheet.pdf"' in response.headers["Content-Disposition"]
    text = _pdf_text(response.data)
    assert "Taurine" in text and "107-35-7" in text
    assert "Loss on drying" in text and "≤ 0.2 %" in text and "USP <731>" in text
    assert "https://crm.example.test/contact?ingredient=taurine" in text
    _assert_nothing_staff_only(text, "PDF")


def test_every_demo_pdf_renders_without_prices(client):
    seed_catalog()
    for slug in db.session.scalars(select(Ingredient.slug)).all():
        response = client.get(f"/ingredients/{slug}.pdf")
        assert response.status_code == 200, slug
        _assert_nothing_staff_only(_pdf_text(response.data), slug)


@pytest.mark.parametrize("suffix", ["", ".pdf"])
def test_inactive_and_unknown_ingredients_are_not_found(client, suffix):
    make_ingredient(active=False)
    assert client.get(f"/ingredients/taurine{suffix}").status_code == 404
    assert client.get(f"/ingredients/no-such-thing{suffix}").status_code == 404


def test_markup_in_the_catalog_is_shown_as_text(client):
    make_ingredient(
        name='<script>alert("name")</script>',
        slug="hostile",
        description='<img src=x onerror=alert("description")>',
        specs=[SpecLine('<b onmouseover="x()">Assay</b>', "<i>98 %</i>",
                        "<script>alert('method')</script>")],
    )
    for path in ("/", "/ingredients", "/ingredients/hostile"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert(" not in page, path
        assert "<img src=x" not in page and "<b onmouseover" not in page, path
        assert "&lt;script&gt;alert(" in page, path
    page = client.get("/ingredients/hostile").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(" in page
    assert "&lt;b onmouseover=" in page and "&lt;i&gt;98 %&lt;/i&gt;" in page
    # In the PDF the markup is text too: printed, not obeyed.
    text = _pdf_text(client.get("/ingredients/hostile.pdf").data)
    assert '<script>alert("name")</script>' in text
    assert "<i>98 %</i>" in text


def test_the_navbar_and_the_home_page_link_to_the_spec_sheets(client):
    make_ingredient()
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<a class="nav-link" href="/ingredients">Ingredients</a>', page)
    assert '<a href="/ingredients/taurine">Taurine</a>' in page
    assert 'href="/contact?ingredient=taurine"' in page


def test_pdfs_embed_data_urls_and_fetch_nothing_else(tmp_path):
    from weasyprint import HTML

    image = tmp_path / "secret.png"
    image.write_bytes(PNG)
    inline = f'<img src="data:image/png;base64,{base64.b64encode(PNG).decode()}">'
    local = f'<img src="{image.as_uri()}">'
    assert _images(html_to_pdf(f"<p>{inline}</p>")) == 1
    assert _images(HTML(string=f"<p>{local}</p>").write_pdf()) == 1  # WeasyPrint alone would
    assert _images(html_to_pdf(f"<p>{local}</p>")) == 0
    assert _images(html_to_pdf(f'<p style="background: url({image.as_uri()})">x</p>')) == 0
    assert _images(html_to_pdf('<p><img src="secret.png"></p>')) == 0


def test_a_changed_slug_leaves_the_old_addresses_redirecting(client):
    """Spec sheets already sent out print the page's address: it keeps working."""
    ingredient = make_ingredient()
    for slug in ("taurine-usp", "taurine-powder"):
        make_ingredient(ingredient=ingredient, slug=slug)
    for old in ("taurine", "taurine-usp"):
        page = client.get(f"/ingredients/{old}")
        assert page.status_code == 301 and page.headers["Location"] == "/ingredients/taurine-powder"
        pdf = client.get(f"/ingredients/{old}.pdf")
        assert pdf.status_code == 301
        assert pdf.headers["Location"] == "/ingredients/taurine-powder.pdf"
    assert client.get("/ingredients/taurine-powder").status_code == 200
    # A new ingredient may take a retired slug: the live one wins.
    make_ingredient(name="Taurine Granular", slug="taurine")
    page = client.get("/ingredients/taurine")
    assert page.status_code == 200 and "Taurine Granular" in page.get_data(as_text=True)
    make_ingredient(ingredient=ingredient, slug="taurine-powder", active=False)
    assert client.get("/ingredients/taurine-usp").status_code == 404
