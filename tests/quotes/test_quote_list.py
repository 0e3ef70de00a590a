"""The quotes list for sales (``/dashboard/quotes/``) and the quotes card of the overview."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from crm.core.types import utcnow
from crm.extensions import db
from crm.leads import operations as leads
from crm.leads.merging import merge
from crm.leads.models import LeadStatus
from crm.quotes import answers, operations, queries
from crm.quotes.models import QuoteStatus
from tests.conftest import recorded_statements
from tests.factories import make_user, quote_request, submit

Q = QuoteStatus
LIST = "/dashboard/quotes/"


def quote_for(owner, *, company, status=Q.SENT, valid_days=30, total="1000.00",
              currency="USD"):
    """A quote in ``status`` on a new lead of ``company``, owned by ``owner``."""
    lead = submit(quote_request(company=company, email=f"buyer@{company.lower()}.example")).lead
    lead.owner_id = owner.id if owner else None
    quote, _ = operations.draft_from_lead(db.session, lead=lead, actor=owner)
    quote.valid_until = utcnow().date() + timedelta(days=valid_days)
    quote.total, quote.currency = Decimal(total), currency
    db.session.commit()
    if status is not Q.DRAFT:
        operations.send_quote(db.session, quote=quote, actor=owner)
        db.session.commit()
        if status is Q.ACCEPTED:
            answers.accept_quote(db.session, quote=quote, name="Ana Buyer", ip="198.51.100.7")
        elif status is Q.DECLINED:
            answers.decline_quote(db.session, quote=quote, reason="Too dear")
        elif status is not Q.SENT:
            quote.status = status
        db.session.commit()
    return quote


def labels(response) -> list[str]:
    """The quote labels of the list's rows, in order."""
    return re.findall(r'class="quote-label"[^>]*>([^<]+)<', response.get_data(as_text=True))


@pytest.fixture
def seller(catalog):
    return make_user(role="sales", name="Sam Seller")


def test_the_list_shows_quotes_awaiting_an_answer_soonest_expiry_first(client, auth, seller):
    late = quote_for(seller, company="Latecorp", valid_days=40)
    soon = quote_for(seller, company="Sooncorp", valid_days=3)
    viewed = quote_for(seller, company="Viewcorp", status=Q.VIEWED, valid_days=10)
    quote_for(seller, company="Draftcorp", status=Q.DRAFT)
    quote_for(seller, company="Yescorp", status=Q.ACCEPTED)
    auth.login(seller)
    response = client.get(LIST)
    assert response.status_code == 200
    assert labels(response) == [soon.label, viewed.label, late.label]
    page = response.get_data(as_text=True)
    assert "Sooncorp" in page and "expires in 3 days" in page
    assert "1,000.00 USD" in page


@pytest.mark.parametrize("view,status", [("draft", Q.DRAFT), ("accepted", Q.ACCEPTED),
                                         ("declined", Q.DECLINED), ("expired", Q.EXPIRED)])
def test_each_view_lists_its_own_quotes(client, auth, seller, view, status):
    wanted = quote_for(seller, company="Wantedcorp", status=status)
    quote_for(seller, company="Othercorp", status=Q.SENT if status is not Q.SENT else Q.DRAFT)
    auth.login(seller)
    assert labels(client.get(LIST, query_string={"view": view})) == [wanted.label]


def test_all_lists_every_quote_newest_first(client, auth, seller):
    first = quote_for(seller, company="Firstcorp", status=Q.DRAFT)
    second = quote_for(seller, company="Secondcorp", status=Q.ACCEPTED)
    auth.login(seller)
    assert labels(client.get(LIST, query_string={"view": "all"})) == [second.label, first.label]


def test_mine_keeps_the_quotes_of_my_leads(client, auth, seller):
    colleague = make_user(role="sales", name="Cleo Colleague")
    mine = quote_for(seller, company="Minecorp")
    quote_for(colleague, company="Theirscorp")
    auth.login(seller)
    assert labels(client.get(LIST, query_string={"owner": "me"})) == [mine.label]
    everyone = client.get(LIST).get_data(as_text=True)
    assert "Theirscorp" in everyone and "Cleo Colleague" in everyone


def test_search_by_quote_number_or_company(client, auth, seller):
    acme = quote_for(seller, company="Acmevita")
    other = quote_for(seller, company="Zenpharm")
    auth.login(seller)
    assert labels(client.get(LIST, query_string={"q": "acmevi"})) == [acme.label]
    assert labels(client.get(LIST, query_string={"q": other.number.lower()})) == [other.label]
    year = other.number[:7]  # "Q-2026-": every quote of the year
    assert set(labels(client.get(LIST, query_string={"q": year}))) == {acme.label, other.label}
    assert labels(client.get(LIST, query_string={"q": "Q-1999"})) == []
    page = client.get(LIST, query_string={"q": "nothing-like-it"}).get_data(as_text=True)
    assert "No quotes match" in page
    # The box says all it searches, tied to it for screen readers.
    assert 'aria-describedby="q-help"' in page
    assert "A quote number, or the lead’s company, contact, email or reference." in page


def test_a_bad_filter_is_explained_and_filters_nothing(client, auth, seller):
    quote = quote_for(seller, company="Acmevita")
    auth.login(seller)
    response = client.get(LIST, query_string={"view": "bogus", "owner": "someone"})
    assert response.status_code == 200
    assert labels(response) == [quote.label]
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_company_names_are_escaped(client, auth, seller):
    quote_for(seller, company="<script>alert(1)</script>")
    auth.login(seller)
    page = client.get(LIST).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert html.escape("<script>alert(1)</script>") in page


def test_the_list_runs_a_fixed_number_of_statements(client, auth, seller):
    quote_for(seller, company="Onecorp")
    auth.login(seller)
    client.get(LIST)
    with recorded_statements() as few:
        client.get(LIST, query_string={"q": "corp"})
    for n in range(6):
        quote_for(make_user(role="sales"), company=f"Morecorp{n}")
    with recorded_statements() as many:
        assert len(labels(client.get(LIST, query_string={"q": "corp"}))) == 7
    assert len(many) == len(few)


def test_only_sales_and_admins_see_quotes(client, auth, seller):
    quote_for(seller, company="Secretcorp")
    auth.login("moderator")
    assert client.get(LIST).status_code in (403, 404)
    auth.logout()
    assert client.get(LIST).status_code == 302  # to the sign-in page
    auth.login("admin")
    assert "Secretcorp" in client.get(LIST).get_data(as_text=True)


def test_the_overview_sums_up_the_quotes(client, auth, seller):
    quote_for(seller, company="Opencorp", total="1200.50", valid_days=20)
    quote_for(seller, company="Soonvita", total="300.00", valid_days=2)
    quote_for(seller, company="Eurocorp", total="500.00", currency="EUR", valid_days=30)
    quote_for(seller, company="Wincorp", status=Q.ACCEPTED, total="2000.00")
    quote_for(seller, company="Oldcorp", status=Q.DRAFT, total="999.00")
    auth.login(seller)
    page = client.get("/dashboard/").get_data(as_text=True)
    card = page[page.index('id="quotes-heading"'):]
    card = card[:card.index("</section>")]
    assert re.search(r"Awaiting an answer</a>\s*<strong>3</strong>", card)
    assert "1,500.50 USD" in card and "500.00 EUR" in card
    assert re.search(r"Expiring within 7 days</a>\s*<strong>1</strong>", card)
    assert re.search(r"Accepted in the last 30 days</a>\s*<strong>1</strong>", card)
    assert "2,000.00 USD" in card


@pytest.mark.parametrize("answer,view", [(Q.DECLINED, "declined"), (Q.EXPIRED, "expired")])
def test_a_declined_or_expired_quote_whose_revision_went_out_leaves_its_view(
        client, auth, seller, answer, view):
    """Declined (or expired), then revised and the revision sent: the offer stands in the
    revision now; the old one is no longer a quote to follow up (it cannot be revised again:
    only the latest revision can). A revision still in draft leaves it in its view."""
    replaced = quote_for(seller, company="Againcorp", status=answer)
    standing = quote_for(seller, company="Stillcorp", status=answer)
    revision = operations.revise_quote(db.session, quote=replaced, actor=seller)
    operations.revise_quote(db.session, quote=standing, actor=seller)  # a draft only
    db.session.commit()
    auth.login(seller)
    assert labels(client.get(LIST, query_string={"view": view})) == [standing.label,
                                                                     replaced.label]
    operations.send_quote(db.session, quote=revision, actor=seller)
    db.session.commit()
    assert labels(client.get(LIST, query_string={"view": view})) == [standing.label]
    assert labels(client.get(LIST)) == [revision.label]
    everything = labels(client.get(LIST, query_string={"view": "all"}))
    assert replaced.label in everything and revision.label in everything  # the record stays


NUMBERS = [f"Q-{year}-{n:04d}" for year in (2025, 2026, 2029, 2030)
           for n in (1, 9, 10, 19, 99, 100, 999, 1000, 9999, 10000)]


@pytest.mark.parametrize("term", ["Q-2026-0009", "Q-2026-0019", "q-2029", "Q-2026-9", "Q-2026-",
                                  "Q-2", "Q-9999", "Q-2026-0099", "Q-2026-10000"])
def test_a_quote_number_prefix_is_a_range_under_any_collation(term):
    """The range must hold exactly the numbers starting with the term, compared as bytes
    (SQLite, PostgreSQL's "C") and as linguistic collations do (a PostgreSQL database made
    with en_US.UTF-8 skips punctuation such as ":" at first; ICU sorts it before the
    digits): a bound made of anything but the number's own characters breaks it."""
    low, high = queries.quote_number_range(term)
    prefix = term.upper().rstrip("-")
    wanted = {number for number in NUMBERS if number.startswith(prefix)}

    def glibc(text):
        return re.sub(r"[^0-9A-Z]", "", text)

    def icu(text):
        return text.replace(":", "/")  # "/" sorts just before "0"

    for key in (str, glibc, icu):
        found = {number for number in NUMBERS if key(low) <= key(number) < key(high)}
        assert found == wanted, key


def test_a_quote_already_past_its_validity_is_not_counted_as_expiring(client, auth, seller):
    """Sent, valid until two days ago, and not yet marked expired by the daily job: the list
    says "expired 2 days ago"; the card must not count it among those expiring within 7 days
    (nor, being past saving by a call, among those a salesperson should chase this week)."""
    lapsed = quote_for(seller, company="Lapsedcorp")
    lapsed.valid_until = utcnow().date() - timedelta(days=2)  # sent, then the days went by
    db.session.commit()
    quote_for(seller, company="Soonvita", valid_days=0)
    auth.login(seller)
    assert "expired 2 days ago" in client.get(LIST).get_data(as_text=True)
    page = client.get("/dashboard/").get_data(as_text=True)
    card = page[page.index('id="quotes-heading"'):]
    assert re.search(r"Expiring within 7 days</a>\s*<strong>1</strong>", card)


def test_the_quotes_of_a_lost_or_spam_lead_await_no_answer(client, auth, seller):
    """A lost or spam lead's quotes cannot be answered (the customer's page says so), so they
    leave "awaiting an answer" and the card; "All" still lists them, saying why. Reopening
    the lost lead brings its quote back."""
    lost = quote_for(seller, company="Lostcorp")
    spam = quote_for(seller, company="Spamcorp")
    open_ = quote_for(seller, company="Opencorp", total="50.00")
    leads.change_status(db.session, lead=lost.lead, status=LeadStatus.LOST, actor=seller,
                        lost_reason="Went elsewhere")
    leads.change_status(db.session, lead=spam.lead, status=LeadStatus.SPAM, actor=seller)
    db.session.commit()
    auth.login(seller)
    assert labels(client.get(LIST)) == [open_.label]
    card = client.get("/dashboard/").get_data(as_text=True)
    card = card[card.index('id="quotes-heading"'):]
    assert re.search(r"Awaiting an answer</a>\s*<strong>1</strong>", card)
    assert "50.00 USD" in card and "1,000.00 USD" not in card
    everything = client.get(LIST, query_string={"view": "all"}).get_data(as_text=True)
    assert lost.label in everything and spam.label in everything
    assert "Lead lost" in everything and "Lead held as spam" in everything

    leads.change_status(db.session, lead=lost.lead, status=LeadStatus.QUALIFIED, actor=seller)
    db.session.commit()
    assert labels(client.get(LIST)) == [lost.label, open_.label]


def test_a_merged_quote_awaits_as_the_lead_it_moves_to(client, auth, seller):
    """Merging moves the quotes: they await an answer as their new lead does, whichever of the
    two leads was lost."""
    kept = quote_for(seller, company="Keptcorp")
    gone = quote_for(seller, company="Gonecorp")
    leads.change_status(db.session, lead=gone.lead, status=LeadStatus.LOST, actor=seller,
                        lost_reason="Duplicate")
    db.session.commit()
    merge(db.session, source=kept.lead, target=gone.lead, actor=seller)
    db.session.commit()
    auth.login(seller)
    assert labels(client.get(LIST)) == []  # both now on the lost lead
    leads.change_status(db.session, lead=gone.lead, status=LeadStatus.QUALIFIED, actor=seller)
    db.session.commit()
    assert set(labels(client.get(LIST))) == {kept.label, gone.label}
