from pathlib import Path

from sqlalchemy import func, select, text

from crm.articles.models import Article
from crm.auth.models import Role, User
from crm.catalog.models import Ingredient, PriceTier
from crm.devserver import prepare
from crm.extensions import db
from crm.leads.models import Activity, ActivityKind, Lead, LeadStatus
from crm.notifications.models import OutboxEmail
from crm.quotes.models import Quote, QuoteStatus
from tests.factories import seed_catalog, submit


def test_seed_demo_is_idempotent(runner):
    first = runner.invoke(args=["crm", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@example.com" in first.output
    counts = [db.session.scalar(select(func.count()).select_from(m))
              for m in (User, Article, Ingredient, PriceTier)]
    second = runner.invoke(args=["crm", "seed-demo"])
    assert second.exit_code == 0
    assert "no new users" in second.output
    assert counts == [db.session.scalar(select(func.count()).select_from(m))
                      for m in (User, Article, Ingredient, PriceTier)]
    assert counts[0] == 3 and counts[1] == 1 and counts[2] >= 5
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)


def test_seed_demo_sends_quote_requests_once_and_works_some(runner):
    first = runner.invoke(args=["crm", "seed-demo"])
    assert "Sent 5 demo quote requests" in first.output
    leads = db.session.scalars(select(Lead).order_by(Lead.id)).all()
    assert len(leads) == 5 and all(lead.owner_id and lead.score for lead in leads)
    assert {lead.status for lead in leads} == {LeadStatus.NEW, LeadStatus.CONTACTED,
                                                LeadStatus.QUOTED}
    quote = db.session.scalar(select(Quote))
    assert quote.status is QuoteStatus.SENT and quote.total > 0
    assert quote.lead.status is LeadStatus.QUOTED
    assert any(line.warnings for lead in leads for inquiry in lead.inquiries
               for line in inquiry.lines)  # staff see what the catalog flags
    sources = [lead.inquiries[0].source_page for lead in leads]
    assert sources[0].endswith("/articles/formulating-with-l-serine") and None in sources
    assert db.session.scalar(select(func.count()).select_from(Activity).where(
        Activity.kind == ActivityKind.CALL)) == 2  # the calls sales logged
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail).where(
        OutboxEmail.template == "inquiry_ack")) == 5
    second = runner.invoke(args=["crm", "seed-demo"])
    assert second.exit_code == 0 and "demo quote requests" not in second.output
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 5


def test_demo_passwords_work_and_are_kept_for_the_developer(app, runner, client):
    result = runner.invoke(args=["crm", "seed-demo"])
    role, email, password = result.output.splitlines()[1].split()
    assert role == "sales"
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302
    assert password in (Path(app.instance_path) / "demo-logins.txt").read_text()


def test_create_user_reads_the_password_from_stdin(runner, client):
    result = runner.invoke(args=["crm", "create-user", "new@example.com", "--role", "sales"],
                           input="a long password here\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(User.by_email("new@example.com"))
    assert user.role is Role.SALES and user.check_password("a long password here")


def test_create_user_refuses_short_password_and_duplicates(runner):
    result = runner.invoke(args=["crm", "create-user", "a@example.com", "--role", "admin"],
                           input="short\n")
    assert result.exit_code != 0 and "at least" in result.output
    runner.invoke(args=["crm", "create-user", "a@example.com", "--role", "admin"],
                  input="long enough password\n")
    again = runner.invoke(args=["crm", "create-user", "A@example.com", "--role", "admin"],
                          input="long enough password\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_first_run_prepares_the_database(app):
    created = prepare(app)  # what python app.py does before serving
    assert len(created) == 3
    assert prepare(app) == []
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 5  # once


def _leads_analyzed() -> int:
    """PostgreSQL: how many times the leads table was analyzed by hand."""
    db.session.execute(text("SELECT pg_stat_clear_snapshot()"))
    return db.session.scalar(text(
        "SELECT analyze_count FROM pg_stat_user_tables "
        "WHERE relname = 'leads' AND schemaname = current_schema()"))


def test_analyze_refreshes_the_planners_statistics(runner):
    seed_catalog()
    submit()
    postgres = db.engine.dialect.name == "postgresql"
    before = _leads_analyzed() if postgres else None
    db.session.commit()
    result = runner.invoke(args=["crm", "analyze"])
    assert result.exit_code == 0, result.output
    if postgres:
        assert _leads_analyzed() == before + 1
    else:
        stats = db.session.scalar(text(
            "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_leads_live_created'"))
        assert stats.startswith("1 ")  # one lead
