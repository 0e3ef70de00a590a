"""The lead list, board and CSV export: filters, search through the index, sort, paging,
capped counts, escaping and a fixed number of SQL statements per page."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select
from sqlalchemy import text as sql_text

from crm.catalog.models import Ingredient
from crm.core.types import utcnow
from crm.extensions import db
from crm.intake.requests import LineRequest
from crm.leads import board, queries
from crm.leads.export import neutralise
from crm.leads.models import Activity, Inquiry, Lead, LeadStatus, RequestedIngredient
from crm.leads.search import status_code
from tests.conftest import recorded_statements
from tests.factories import make_user, quote_request, seed_catalog, submit

LIST = "/dashboard/leads/"
BOARD = "/dashboard/leads/board"
EXPORT = "/dashboard/leads/export.csv"


@pytest.fixture
def catalog(app):
    seed_catalog()


def lead(**overrides) -> Lead:
    """A lead made by the real intake pipeline; ``status`` and ``created_at`` set after."""
    status = overrides.pop("status", None)
    created_at = overrides.pop("created_at", None)
    result = submit(quote_request(**overrides)).lead
    if status is not None:
        result.status = LeadStatus(status)
    if created_at is not None:
        result.created_at = created_at
    db.session.commit()
    return result


def references(page: str) -> list[str]:
    """The lead references of a list page, in the order shown."""
    return re.findall(r'class="inquiry-reference" href="[^"]+">(INQ-\w+)<', page)


def get(client, url, **params) -> str:
    response = client.get(url, query_string=params)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_list_shows_open_leads_with_their_columns(client, auth, catalog):
    owner = auth.login("sales")
    first = lead(company="Alpine Labs", name="Berta Keller", email="berta@alpine.example",
                 country="DE")
    won = lead(company="Won Corp", email="w@won.example", status="won")
    page = get(client, LIST)
    assert references(page) == [first.reference]
    assert f'href="/dashboard/leads/{first.id}"' in page
    for text in ("Alpine Labs", "Berta Keller", "berta@alpine.example", ">DE<", "L-Serine",
                 ">325<", owner.name, "lead-status-new", ">New<", "Showing 1–1 of 1 lead"):
        assert text in page, text
    assert won.reference not in page
    assert 'href="/dashboard/leads/board' in page  # the Board link
    assert 'href="/dashboard/leads/export.csv' in page


def test_status_filter_single_multiple_and_all(client, auth, catalog):
    auth.login("sales")
    new = lead(email="a@a.example")
    won = lead(email="b@b.example", status="won")
    lost = lead(email="c@c.example", status="lost")
    spam = lead(email="d@d.example", status="spam")
    assert references(get(client, LIST, status="won")) == [won.reference]
    both = references(get(client, LIST, status=["won", "lost"]))
    assert sorted(both) == sorted([won.reference, lost.reference])
    everything = references(get(client, LIST, status="all"))
    assert sorted(everything) == sorted(r.reference for r in (new, won, lost, spam))
    page = get(client, LIST, status="bogus")  # an invalid choice filters nothing: the default
    assert references(page) == [new.reference]


def test_owner_filter(client, auth, catalog):
    me = auth.login("sales")
    other = make_user(role="sales")
    mine = lead(email="a@a.example", country="FR")
    theirs = lead(email="b@b.example", country="FR")
    nobody = lead(email="c@c.example", country="FR")
    mine.owner_id, theirs.owner_id, nobody.owner_id = me.id, other.id, None
    db.session.commit()
    assert references(get(client, LIST, owner="me")) == [mine.reference]
    assert references(get(client, LIST, owner=str(other.id))) == [theirs.reference]
    assert references(get(client, LIST, owner="unassigned")) == [nobody.reference]
    assert len(references(get(client, LIST, owner=""))) == 3
    page = get(client, LIST)
    assert f'<option value="{other.id}">{other.name}</option>' in page


def test_country_ingredient_and_date_filters(client, auth, catalog):
    auth.login("sales")
    glycine = db.session.scalar(select(Ingredient.id).where(Ingredient.slug == "glycine"))
    now = utcnow()
    german = lead(email="a@a.example", country="DE", created_at=now - timedelta(days=30))
    french = lead(email="b@b.example", country="FR", created_at=now - timedelta(days=3), lines=[
        LineRequest(ingredient_slug="l-serine", quantity_kg=Decimal("50")),
        LineRequest(ingredient_slug="glycine", quantity_kg=Decimal("50"))])
    assert references(get(client, LIST, country="DE")) == [german.reference]
    assert references(get(client, LIST, ingredient=str(glycine))) == [french.reference]
    recent = (now - timedelta(days=10)).date().isoformat()
    assert references(get(client, LIST, created_from=recent)) == [french.reference]
    assert references(get(client, LIST, created_to=recent)) == [german.reference]
    day = german.created_at.date().isoformat()
    both_ends = get(client, LIST, created_from=day, created_to=day)
    assert references(both_ends) == [german.reference]
    backwards = get(client, LIST, created_from=recent, created_to=day)
    assert "on or after" in backwards and len(references(backwards)) == 1  # "to" ignored


def _search_sql(statements) -> str:
    return " ".join(s for s in statements if "leads" in s)


@pytest.mark.parametrize("term", ["lpine la", "ALPINE", "Berta Kel", "berta@alpine", "xample"])
def test_search_finds_by_company_contact_email_through_the_index(client, auth, catalog, term):
    auth.login("sales")
    found = lead(company="Alpine Labs", name="Berta Keller", email="berta@alpine.example")
    lead(company="Coastal Health", name="Chris Doe", email="chris@coastal.test")
    with recorded_statements() as statements:
        page = get(client, LIST, q=term)
    assert references(page) == [found.reference]
    sql = _search_sql(statements)
    if db.engine.dialect.name == "sqlite":
        assert "leads_fts MATCH" in sql and " LIKE " not in sql
    else:
        assert " LIKE " in sql  # the term lowered, as the search text is: the GIN index serves it


def test_search_by_reference_short_terms_and_special_characters(client, auth, catalog):
    auth.login("sales")
    found = lead(company='Pure "100%" Labs', email="p@pure.example")
    other = lead(company="Q_Nutrition", email="q@q.example")
    assert references(get(client, LIST, q=found.reference.lower())) == [found.reference]
    assert references(get(client, LIST, q=found.reference[-5:])) == [found.reference]
    assert references(get(client, LIST, q='"100%"')) == [found.reference]
    assert references(get(client, LIST, q="100%")) == [found.reference]
    assert references(get(client, LIST, q="q_n")) == [other.reference]
    assert references(get(client, LIST, q="%")) == [found.reference]  # short: LIKE, escaped
    assert references(get(client, LIST, q="nothing like it")) == []
    assert "No leads match these filters" in get(client, LIST, q="nothing like it")


def test_a_search_within_a_status_follows_status_changes_and_never_matches_the_status(
        client, auth, catalog):
    auth.login("sales")
    quoted = lead(company="Quoted Foods", email="q@quoted-foods.example", status="quoted")
    fresh = lead(company="Fresh Foods", email="f@fresh-foods.example")
    assert references(get(client, LIST, q="foods", status="quoted")) == [quoted.reference]
    assert references(get(client, LIST, q="foods", status="new")) == [fresh.reference]
    fresh.status = LeadStatus.CONTACTED  # the index follows the status
    db.session.commit()
    assert references(get(client, LIST, q="foods", status="new")) == []
    assert references(get(client, LIST, q="foods", status="contacted")) == [fresh.reference]
    both = get(client, LIST, q="foods", status=["quoted", "contacted"])
    assert sorted(references(both)) == sorted([quoted.reference, fresh.reference])
    # The status is not searched as text: "quoted" finds only the company named so.
    assert references(get(client, LIST, q="quoted", status="all")) == [quoted.reference]
    assert references(get(client, LIST, q="contacted", status="all")) == []


def test_the_search_index_lets_go_of_deleted_leads(app, catalog):
    """The index keeps no copy of the text (SQLite): the delete trigger hands back what it
    indexed, and the index stays whole."""
    gone = lead(email="a@orchard.example", status="qualified")
    kept = lead(email="b@orchard.example", status="qualified")
    for model in (RequestedIngredient, Inquiry, Activity, Lead):  # what refers to it first
        column = model.id if model is Lead else model.lead_id
        db.session.execute(delete(model).where(column == gone.id))
    db.session.commit()
    page = queries.lead_page(db.session, filters=queries.LeadFilters(q="orchard"))
    assert [row.reference for row in page.items] == [kept.reference]
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sql_text("INSERT INTO leads_fts(leads_fts) VALUES ('integrity-check')"))


def test_every_status_has_its_own_search_code():
    """SQLite's index holds a status as one trigram: no two statuses may share it."""
    codes = [status_code(status) for status in LeadStatus]
    assert all(len(code) == 3 for code in codes) and len(set(codes)) == len(codes)


def test_sorting_by_whitelisted_columns(client, auth, catalog):
    auth.login("sales")
    today = utcnow().date()
    a = lead(company="beta", email="a@a.example", units=1000)
    b = lead(company="Alpha", email="b@b.example", units=100000, status="quoted")
    c = lead(company="Gamma", email="c@c.example", units=10000, status="contacted")
    a.score, b.score, c.score = 30, 10, 20
    a.next_action_on, b.next_action_on = today + timedelta(days=2), today - timedelta(days=1)
    db.session.commit()
    newest_first = [c.reference, b.reference, a.reference]
    assert references(get(client, LIST)) == newest_first
    assert references(get(client, LIST, sort="created_at", dir="asc")) == newest_first[::-1]
    assert references(get(client, LIST, sort="score", dir="asc")) == [
        b.reference, c.reference, a.reference]
    assert references(get(client, LIST, sort="score")) == [a.reference, c.reference, b.reference]
    assert references(get(client, LIST, sort="company_name", dir="asc")) == [
        b.reference, a.reference, c.reference]
    assert a.company_key == "beta" and b.company_key == "alpha"  # what that order reads
    assert references(get(client, LIST, sort="total_kg")) == [b.reference, c.reference,
                                                              a.reference]
    assert references(get(client, LIST, sort="next_action_on", dir="asc")) == [
        b.reference, a.reference, c.reference]  # no date: last
    assert references(get(client, LIST, sort="status", dir="asc")) == [
        a.reference, c.reference, b.reference]  # pipeline order, not alphabetical
    assert references(get(client, LIST, sort="password_hash")) == newest_first
    page = get(client, LIST, sort="score", dir="desc", country="US")
    assert 'aria-sort="descending"' in page
    assert "sort=score&amp;dir=asc" in page  # clicking again reverses
    def row(lead):  # from its reference's link to the end of its row
        return page.split(f">{lead.reference}</a>")[1].split("</tr>")[0]

    assert "Overdue" in row(b) and "Overdue" not in row(a)


def test_sort_links_keep_the_filters(client, auth, catalog):
    auth.login("sales")
    lead(email="a@a.example", country="DE")
    page = get(client, LIST, country="DE", q="acme")
    header = re.search(r'href="([^"]*sort=score[^"]*)"', page).group(1)
    assert "country=DE" in header and "q=acme" in header


def test_paging_by_fifty(client, auth, catalog):
    auth.login("sales")
    made = [lead(email=f"p{n}@paging.example") for n in range(55)]
    first = get(client, LIST)
    assert len(references(first)) == 50 and "Showing 1–50 of 55 leads" in first
    assert references(first)[0] == made[-1].reference
    assert 'rel="next" href="/dashboard/leads/?page=2"' in first
    second = get(client, LIST, page=2)
    assert len(references(second)) == 5 and "Showing 51–55 of 55 leads" in second
    assert set(references(first)).isdisjoint(references(second))
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert "No leads" in get(client, LIST, page=99)
    assert get(client, LIST, page="-3").count("inquiry-reference") == 50  # clamped to page 1


def test_merged_leads_are_never_listed(client, auth, catalog):
    auth.login("sales")
    kept = lead(email="a@a.example")
    merged = lead(email="b@b.example")
    merged.merged_into_id = kept.id
    db.session.commit()
    assert references(get(client, LIST, status="all")) == [kept.reference]
    assert merged.reference not in get(client, BOARD, status="all")
    assert merged.reference not in client.get(EXPORT).get_data(as_text=True)


def test_the_count_is_capped(client, auth, catalog, monkeypatch):
    auth.login("sales")
    for n in range(5):
        lead(email=f"c{n}@cap.example")
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    with recorded_statements() as statements:
        page = get(client, LIST)
    assert "Showing 1–5 of 5+ leads" in page
    counts = [s for s in statements if "count(" in s.lower()]
    assert len(counts) == 1 and "LIMIT" in counts[0].upper()
    monkeypatch.setattr(queries, "COUNT_CAP", 1000)
    assert "Showing 1–5 of 5 leads" in get(client, LIST)


def test_capped_count_reads_as_a_thousand_plus(app):
    page = queries.LeadPage(items=[object()] * 50, number=2, total=1000, capped=True,
                            has_next=True)
    assert (page.first, page.last, page.total_label) == (51, 100, "1,000+")


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_export_honours_filters_and_neutralises_formulas(client, auth, catalog):
    auth.login("sales")
    names = ["=1+2", "+x", "-x", "@x", "Plain Labs"]
    for n, name in enumerate(names):
        lead(company=name, email=f"e{n}@export{n}.example", country="DE")
    lead(company="French Co", email="f@french.example", country="FR")
    response = client.get(EXPORT, query_string={"country": "DE", "sort": "company_name",
                                                "dir": "asc"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="leads-{utcnow().date().isoformat()}.csv"'
    header, *rows = _csv(response)
    assert header[:3] == ["Reference", "Company", "Contact"] and len(rows) == 5
    companies = [row[1] for row in rows]
    assert set(companies) == {"'=1+2", "'+x", "'-x", "'@x", "Plain Labs"}
    assert "French Co" not in companies
    assert all(row[4] == "DE" and row[9] == "new" for row in rows)
    everything = _csv(client.get(EXPORT, query_string={"status": "all"}))
    assert len(everything) == 1 + 6


def test_export_is_capped_and_streamed_in_chunks(client, auth, catalog, monkeypatch):
    from crm.leads import export

    auth.login("sales")
    for n in range(4):
        lead(email=f"k{n}@chunk{n}.example")
    monkeypatch.setattr(queries, "EXPORT_CAP", 3)
    monkeypatch.setattr(export, "FLUSH_AT", 10)
    chunks = list(client.get(EXPORT).response)
    assert len(chunks) > 3  # the header, then rows as they come
    body = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks).decode()
    assert len(list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))) == 1 + 3


def test_every_formula_start_is_neutralised():
    for cell in ("=1+2", "+x", "-x", "@x", "\tx", "\rx", "=HYPERLINK(\"http://x\")"):
        assert neutralise(cell) == "'" + cell
    assert neutralise("Plain") == "Plain" and neutralise(None) == "" and neutralise(12) == "12"


def test_export_is_in_the_list_order(client, auth, catalog):
    auth.login("sales")
    made = [lead(email=f"o{n}@order.example") for n in range(3)]
    rows = _csv(client.get(EXPORT))[1:]
    assert [row[0] for row in rows] == [m.reference for m in reversed(made)]


def test_board_and_export_search_like_the_list(client, auth, catalog):
    auth.login("sales")
    found = [lead(email="a@meadowfield.example", company="Meadowfield"),
             lead(email="b@meadowfield-labs.example", company="Meadowfield Labs", status="won")]
    other = lead(email="c@harbour.example", company="Harbour Foods", status="won")
    board = get(client, BOARD, q="meadowf")
    assert all(f.reference in board for f in found) and other.reference not in board
    rows = _csv(client.get(EXPORT, query_string={"q": "meadowf", "status": "all"}))[1:]
    assert sorted(row[0] for row in rows) == sorted(f.reference for f in found)


def test_board_has_a_column_per_status_and_caps_cards(client, auth, catalog, monkeypatch):
    auth.login("sales")
    news = [lead(email=f"n@board{n}.example", company=f"New Co {n}") for n in range(3)]
    won = lead(email="w@won.example", company="Won Co", status="won")
    spam = lead(email="s@spam.example", company="Spam Co", status="spam")
    monkeypatch.setattr(board, "BOARD_CARDS", 2)
    page = get(client, BOARD)
    for status in ("New", "Contacted", "Qualified", "Quoted", "Won", "Lost"):
        assert f">{status}</span>" in page, status
    assert "lead-status-spam" not in page and spam.reference not in page
    assert news[2].reference in page and news[1].reference in page
    assert news[0].reference not in page  # the oldest is beyond the two cards
    assert won.reference in page and "Won Co" in page
    assert "+1 more" in page
    assert 'href="/dashboard/leads/?status=new"' in page
    spam_board = get(client, BOARD, status="spam")
    assert spam.reference in spam_board and "lead-status-won" not in spam_board
    german = get(client, BOARD, country="DE")
    assert won.reference not in german and 'country=DE' in german


def test_moderators_may_open_no_lead_page(client, auth, catalog):
    auth.login("moderator")
    for path in (LIST, BOARD, EXPORT, LIST + "?status=all"):
        assert client.get(path).status_code == 403, path


def test_company_names_are_escaped(client, auth, catalog):
    auth.login("sales")
    lead(company="<script>alert(1)</script>", name="<b>Bob</b>", email="x@xss.example")
    for path in (LIST, BOARD, "/dashboard/"):
        page = get(client, path)
        assert "<script>alert(1)" not in page and "<b>Bob" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
    page = get(client, LIST, q="<script>")
    assert 'value="&lt;script&gt;"' in page and "<script>alert" not in page


def _statement_count(client, path, **params) -> int:
    with recorded_statements() as statements:
        get(client, path, **params)
    return len(statements)


def test_pages_run_a_fixed_number_of_statements(client, auth, catalog):
    me = auth.login("sales")
    other = make_user(role="sales")
    glycine = db.session.scalar(select(Ingredient.id).where(Ingredient.slug == "glycine"))
    filtered = {"q": "acme", "status": "all", "country": "US", "ingredient": str(glycine),
                "created_from": "2020-01-01", "sort": "score"}
    pages = [(LIST, {}), (LIST, filtered), (BOARD, {}), (BOARD, filtered), (EXPORT, {})]

    def make(count, start):
        for n in range(start, start + count):
            made = lead(email=f"q{n}@count.example", lines=[
                LineRequest(ingredient_slug="glycine", quantity_kg=Decimal("30"))])
            made.owner_id = (me, other)[n % 2].id
            made.next_action_on = utcnow().date() - timedelta(days=n % 3)
        db.session.commit()

    make(5, 0)
    few = [_statement_count(client, path, **params) for path, params in pages]
    make(55, 5)
    many = [_statement_count(client, path, **params) for path, params in pages]
    assert few == many
    # login user, staff names, ingredients, then the count and the page (list) or the
    # cards and the counts (board) — at most one more for a PostgreSQL server-side cursor.
    assert many[0] <= 5 and many[2] <= 5, many


def test_queries_are_pure_functions_of_the_session(app, catalog):
    made = lead(email="a@pure.example", created_at=datetime(2030, 1, 1, tzinfo=UTC))
    page = queries.lead_page(db.session, filters=queries.LeadFilters(q="pure.exa"))
    assert [row.reference for row in page.items] == [made.reference]
    columns = board.board_columns(db.session, filters=queries.LeadFilters())
    assert [c.status for c in columns] == list(board.BOARD_STATUSES)
    assert [card.reference for card in columns[0].cards] == [made.reference]


def test_a_search_within_the_cap_runs_once_and_reads_its_page_by_id(app, catalog, monkeypatch):
    made = [lead(email=f"c@sparse-{n}.example", company=f"Firm {'CEABD'[n]}",
                 created_at=datetime(2030, 1, 1 + n, tzinfo=UTC)) for n in range(5)]
    lead(email="other@elsewhere.example")
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    newest_first = [m.reference for m in reversed(made)]
    with recorded_statements() as statements:
        page = queries.lead_page(db.session, filters=queries.LeadFilters(q="sparse-"),
                                 page=2)
    assert [row.reference for row in page.items] == newest_first[2:4]
    assert (page.total, page.capped, page.has_next) == (5, False, True)
    matches, rows = [s for s in statements if "FROM leads" in s]
    if db.engine.dialect.name == "sqlite":
        assert "MATCH" in matches and "MATCH" not in rows and "leads.id IN" in rows
    else:  # the page searches again (see lead_page)
        assert " LIKE " in matches and " LIKE " in rows
    by_company = queries.LeadFilters(q="sparse-", sort="company_name", direction="desc")
    page = queries.lead_page(db.session, filters=by_company)  # any order, still by id
    assert [row.company_name for row in page.items] == ["Firm E", "Firm D"]


def test_a_search_matching_more_than_the_cap_finds_the_same_page(app, catalog, monkeypatch):
    """Past the count cap the rows are found walking the date order (not from the matches):
    same leads, same order, same paging."""
    made = [lead(email=f"b{n}@dense.example", created_at=datetime(2030, 1, 1 + n, tzinfo=UTC),
                 status=("new", "contacted", "lost")[n % 3]) for n in range(7)]
    lead(email="other@elsewhere.example")
    db.session.commit()
    filters = queries.LeadFilters(q="dense.exa", statuses=(LeadStatus.NEW, LeadStatus.LOST))
    expected = [m.reference for m in reversed(made) if m.status is not LeadStatus.CONTACTED]

    def pages(cap: int) -> list[list[str]]:
        monkeypatch.setattr(queries, "COUNT_CAP", cap)
        monkeypatch.setattr(queries, "PAGE_SIZE", 2)
        found = []
        for number in (1, 2, 3):
            page = queries.lead_page(db.session, filters=filters, page=number)
            found.append([row.reference for row in page.items])
        return found

    with recorded_statements() as statements:
        dense = pages(cap=2)
    sparse = pages(cap=1000)
    assert dense == sparse == [expected[:2], expected[2:4], expected[4:]]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):  # the order-walking plan
        rows = [s for s in statements if "leads.reference" in s]  # the pages, not the counts
        assert rows and all(" LIKE " in s and "MATCH" not in s for s in rows), rows


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_the_pipeline_order_pages_stage_after_stage(app, catalog, monkeypatch, direction):
    """Sorted by status, page after page: every lead once, in pipeline order (then by date,
    the same way), across the pages' and the stages' boundaries; with a filter too."""
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    start = utcnow() - timedelta(days=30)
    statuses = ["contacted", "new", "quoted", "new", "won", "contacted", "new", "lost",
                "qualified", "new", "spam"]
    made = [lead(company=f"Stage{n}", email=f"s{n}@stage{n}.example", status=status,
                 country="US" if n % 3 else "DE", created_at=start + timedelta(hours=n))
            for n, status in enumerate(statuses)]
    stage = {status: n for n, status in enumerate(LeadStatus)}

    def expected(country=None):
        chosen = [x for x in made if country in (None, x.country)]
        return [x.reference for x in sorted(chosen, key=lambda x: (
            stage[x.status], x.created_at, x.id), reverse=direction == "desc")]

    for country in (None, "US"):
        filters = queries.LeadFilters(statuses=tuple(LeadStatus), sort="status",
                                      direction=direction, country=country)
        shown, number = [], 1
        while True:
            page = queries.lead_page(db.session, filters=filters, page=number)
            shown += [row.reference for row in page.items]
            if not page.has_next:
                break
            number += 1
        assert shown == expected(country), country
