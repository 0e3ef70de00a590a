"""The sales overview on the staff home page: counts, my leads, overdue actions, breaches,
the funnel and the weekly chart, in a fixed number of statements."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest

from crm.core.types import utcnow
from crm.extensions import db
from crm.leads import overview as queries
from crm.leads.charts import funnel_chart, week_chart
from tests.conftest import recorded_statements
from tests.factories import make_user, quote_request, seed_catalog, submit
from tests.leads.test_lead_list import get, lead

HOME = "/dashboard/"


@pytest.fixture
def catalog(app):
    seed_catalog()


def section(page: str, heading_id: str) -> str:
    """The HTML of one overview section, from its heading to the end of the section."""
    return page.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


def figures(section_html: str) -> list[tuple[str, str]]:
    """The rows of the table of figures under a chart, headings first."""
    table = section_html.split("<details", 1)[1].split("</details>", 1)[0]
    return [tuple(re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row))
            for row in re.findall(r"<tr>(.*?)</tr>", table)]


def test_moderators_keep_only_their_cards(client, auth, catalog):
    auth.login("moderator")
    lead(email="a@a.example")
    page = get(client, HOME)
    assert "Moderation" in page
    assert "Leads by status" not in page and "<svg" not in page and "INQ-" not in page


@pytest.mark.parametrize("role", ["sales", "admin"])
def test_sales_and_admins_see_the_overview(client, auth, catalog, role):
    auth.login(role)
    page = get(client, HOME)
    for heading in ("Leads by status", "My open leads", "Overdue next actions",
                    "First-response breaches", "Pipeline funnel", "New leads per week"):
        assert heading in page, heading


def test_counts_per_status_link_to_the_filtered_list(client, auth, catalog):
    auth.login("sales")
    made = [lead(email=f"s{n}@s{n}.example", status=status)
            for n, status in enumerate(["new", "new", "won", "lost"])]
    merged = lead(email="m@m.example")
    merged.merged_into_id = made[0].id
    db.session.commit()
    counts = section(get(client, HOME), "pipeline-heading")
    assert re.search(r'href="/dashboard/leads/\?status=new">.*?<strong>2</strong>', counts)
    assert re.search(r'status=won">.*?<strong>1</strong>', counts)
    assert re.search(r'status=spam">.*?<strong>0</strong>', counts)


def test_my_open_leads_are_mine_open_and_ten_at_most(client, auth, catalog):
    me = auth.login("sales")
    other = make_user(role="sales")
    mine = [lead(email=f"m{n}@mine{n}.example") for n in range(12)]
    theirs = lead(email="t@theirs.example")
    closed = lead(email="c@closed.example", status="won")
    for made in mine + [closed]:
        made.owner_id = me.id
    theirs.owner_id = other.id
    db.session.commit()
    box = section(get(client, HOME), "mine-heading")
    shown = re.findall(r"INQ-\w+", box)
    assert shown == [m.reference for m in reversed(mine)][:10]
    assert theirs.reference not in box and closed.reference not in box
    assert 'href="/dashboard/leads/?owner=me"' in box


def test_ages_read_as_words(client, auth, catalog):
    me = auth.login("sales")
    fresh, older = lead(email="f@fresh.example"), lead(email="o@older.example")
    older.created_at = utcnow() - timedelta(days=3)
    breached = lead(email="b@breach.example")
    breached.first_response_due_at = utcnow() - timedelta(seconds=20)
    for made in (fresh, older, breached):
        made.owner_id = me.id
    db.session.commit()
    page = get(client, HOME)
    mine = " ".join(section(page, "mine-heading").split())
    assert "came in just now" in mine and "3 d old" in mine and "just now old" not in mine
    breaches = " ".join(section(page, "breach-heading").split())
    assert "overdue</span>" in breaches and "overdue by just now" not in breaches


def test_overdue_next_actions_and_first_response_breaches(client, auth, catalog):
    auth.login("sales")
    today, now = utcnow().date(), utcnow()
    overdue = lead(email="o@overdue.example", company="Overdue Co")
    due_today = lead(email="d@today.example")
    overdue_but_won = lead(email="w@won.example", status="won")
    for made, when in ((overdue, today - timedelta(days=2)), (due_today, today),
                       (overdue_but_won, today - timedelta(days=5))):
        made.next_action_on = when
    breached = lead(email="b@breach.example", company="Breach Co")
    answered = lead(email="a@answered.example")
    in_time = lead(email="i@intime.example")
    breached.first_response_due_at = now - timedelta(hours=1)
    answered.first_response_due_at = now - timedelta(hours=1)
    answered.first_responded_at = now - timedelta(hours=2)
    in_time.first_response_due_at = now + timedelta(hours=3)
    db.session.commit()
    page = get(client, HOME)
    late = section(page, "overdue-heading")
    assert overdue.reference in late and "Overdue Co" in late
    assert due_today.reference not in late and overdue_but_won.reference not in late
    breaches = section(page, "breach-heading")
    assert breached.reference in breaches and "Breach Co" in breaches
    assert answered.reference not in breaches and in_time.reference not in breaches


def test_funnel_counts_leads_at_or_past_each_stage(client, auth, catalog):
    auth.login("sales")
    statuses = ["new", "new", "contacted", "qualified", "quoted", "won", "lost", "spam"]
    for n, status in enumerate(statuses):
        lead(email=f"f{n}@funnel{n}.example", status=status)
    funnel = section(get(client, HOME), "funnel-heading")
    assert "<script" not in funnel and "<svg" in funnel
    title = re.search(r"<title[^>]*>(.*?)</title>", funnel).group(1)
    assert title == "Pipeline funnel: New 6, Contacted 4, Qualified 3, Quoted 2, Won 1"
    assert figures(funnel) == [("Stage", "Leads"), ("New", "6"), ("Contacted", "4"),
                               ("Qualified", "3"), ("Quoted", "2"), ("Won", "1")]


def test_leads_per_week_for_the_last_twelve_weeks(client, auth, catalog):
    auth.login("sales")
    now = utcnow()
    monday = now.date() - timedelta(days=now.date().weekday())
    lead(email="a@this.example")
    just_before_monday = datetime.combine(monday, time.min, UTC) - timedelta(minutes=1)
    lead(email="b@this2.example", created_at=just_before_monday)
    for n in range(3):  # two weeks ago
        lead(email=f"c{n}@two{n}.example", created_at=now - timedelta(weeks=2))
    lead(email="d@old.example", created_at=now - timedelta(weeks=13))
    weeks = queries.leads_per_week(db.session, today=now.date())
    assert len(weeks) == 12 and weeks[-1][0] == monday and weeks[0][0].weekday() == 0
    counts = dict(weeks)
    assert counts[monday] == 1  # the lead from just before this Monday counts last week
    assert counts[monday - timedelta(weeks=1)] == 1
    assert counts[monday - timedelta(weeks=2)] == 3
    assert sum(counts.values()) == 5
    chart = section(get(client, HOME), "weekly-heading")
    assert "<script" not in chart and chart.count("<rect") == 12
    assert "5 in all" in chart
    rows = figures(chart)
    assert rows[0] == ("Week of", "New leads") and len(rows) == 13
    assert rows[-1] == (f"{monday.day} {monday:%b}", "1") and rows[-3][1] == "3"


def test_charts_are_plain_svg_geometry():
    from datetime import date

    chart = week_chart([(date(2026, 11, 2), 4), (date(2026, 11, 9), 0),
                        (date(2026, 11, 16), 2)])
    tallest, empty, half = chart.bars
    assert empty.height == 0 and tallest.height == pytest.approx(2 * half.height)
    assert tallest.y + tallest.height == chart.baseline and tallest.label == "2 Nov"
    funnel = funnel_chart([("New", 10), ("Won", 0)])
    assert funnel.bars[1].width == 0 and funnel.bars[0].width > 0
    assert week_chart([]).bars == [] and funnel_chart([("New", 0)]).bars[0].width == 0


def test_the_overview_runs_a_fixed_number_of_statements(client, auth, catalog):
    me = auth.login("sales")
    now = utcnow()

    def make(count, start):
        for n in range(start, start + count):
            made = lead(email=f"q{n}@count{n}.example",
                        created_at=now - timedelta(days=n % 80))
            made.owner_id = me.id if n % 2 else None
            made.next_action_on = now.date() - timedelta(days=n % 3)
            made.first_response_due_at = now - timedelta(hours=n % 5)
        db.session.commit()

    def statements() -> int:
        with recorded_statements() as sql:
            get(client, HOME)
        return len(sql)

    make(5, 0)
    few = statements()
    make(55, 5)
    assert statements() == few <= 9  # login user, 5 overview queries, staff names, quotes,
    # the sources


def test_the_overview_says_where_requests_come_from(client, auth, catalog):
    """The page people were reading when they asked, over the last 30 days: most first, this
    site's pages by their path, spam and older requests left out."""
    article = "https://crm.example.test/articles/l-serine-in-sleep-formulas"
    for page in (article, article, "https://www.google.com/search?q=serine", None):
        submit(quote_request(source_page=page))
    submit(quote_request(source_page="https://spam.example/"), honeypot="x")
    old = submit(quote_request(source_page="https://crm.example.test/articles/old-news"))
    old.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    auth.login("sales")
    page = client.get("/dashboard/").get_data(as_text=True)
    table = page[page.index('class="table table-sm small mb-0 request-sources"'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr><td>(.*?)</td><td class=\"text-end\">(\d+)</td></tr>", table)
    assert rows == [
        ('<a href="/articles/l-serine-in-sleep-formulas">/articles/l-serine-in-sleep-formulas</a>',
         "2"),
        ("<span>www.google.com</span>", "1"),
        ('<span class="text-secondary">No page: the address typed, a bookmark or an email</span>',
         "1")]
