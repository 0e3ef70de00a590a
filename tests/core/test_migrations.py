"""The migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from crm import create_app
from crm.core.database import include_object
from crm.extensions import db


def _differences(connection):
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include_object})
    return compare_metadata(context, db.metadata)


def test_models_match_the_migrated_test_database(app):
    with db.engine.connect() as connection:
        assert _differences(connection) == []


def test_upgrade_from_empty_sqlite_file(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/fresh.sqlite3"},
                     instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "articles", "ingredients", "alembic_version"} <= tables
        with db.engine.connect() as connection:
            assert _differences(connection) == []
        db.engine.dispose()


def test_the_lead_search_has_its_index(app):
    """FTS5 on SQLite; on PostgreSQL one GIN index over the status and the trigrams, so a
    search within a status is a single index scan."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            assert "leads_fts" in inspect(connection).get_table_names()
            return
        indexes = {index["name"]: index for index in inspect(connection).get_indexes("leads")}
    assert "ix_leads_search_trgm" not in indexes
    search = indexes["ix_leads_search_status_trgm"]
    assert search["column_names"] == ["status", "search_text"]


def test_emails_queued_before_0017_are_named_by_it(app):
    """What migration 0017 fills in for the emails already queued is what ``notify`` now
    stores: each related row's ``log_label``."""
    from flask_migrate import downgrade
    from sqlalchemy import select

    from crm.notifications import notify
    from crm.notifications.models import OutboxEmail
    from crm.quotes import operations as quotes
    from tests.factories import make_comment, make_user, seed_catalog, submit

    seed_catalog()
    owner = make_user(role="sales", name="Sam O'Seller")
    lead = submit().lead
    quote, _ = quotes.draft_from_lead(db.session, lead=lead, actor=owner)
    quote.revision = 2
    comment = make_comment(author_name="Ana")
    for n, related in enumerate((owner, lead, quote, comment)):
        notify(db.session, template="test_email", to="x@example.com", key=f"old:{n}",
               related=related)
    db.session.commit()
    expected = {(e.related_type, e.related_id): e.related_label
                for e in db.session.scalars(select(OutboxEmail))}
    assert expected[("quotes", quote.id)] == f"Quote {quote.number} rev. 2"
    db.session.remove()
    downgrade(revision="0016")
    upgrade()
    refilled = {(e.related_type, e.related_id): e.related_label
                for e in db.session.scalars(select(OutboxEmail))}
    assert refilled == expected and None not in refilled.values()


def test_0019_keeps_every_comment_and_its_replies_and_never_reuses_ids(tmp_path):
    """The SQLite rebuild of ``comments`` (for AUTOINCREMENT) keeps every row and reply
    link, both ways; a stored thread keeps its HTML, and a thread marked changed is dropped
    on the way down (its HTML may not be empty there)."""
    from flask_migrate import downgrade
    from sqlalchemy import text

    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/c.sqlite3"},
                     instance_path=str(tmp_path))
    columns = ("id, article_id, parent_id, depth, author_name, author_email, body, body_html, "
               "body_hash, status, spam_score, spam_reasons, notify_replies, created_at")

    def comments():
        return db.session.execute(text(
            "SELECT id, parent_id, author_name, status FROM comments ORDER BY id")).all()

    with app.app_context():
        upgrade(revision="0018")
        db.session.execute(text(
            "INSERT INTO articles (id, slug, title, summary, body_markdown, body_html, "
            "published, comments_open, created_at, updated_at) VALUES "
            "(1, 'a', 'A', '', '', '', 1, 1, '2026-01-01', '2026-01-01')"))
        for n, parent in ((1, None), (2, 1), (3, 2)):
            db.session.execute(text(
                f"INSERT INTO comments ({columns}) VALUES (:n, 1, :parent, 0, :name, "
                "'a@example.com', 'b', '<p>b</p>', 'h', 'approved', 0, '[]', 1, '2026-01-01')"),
                {"n": n, "parent": parent, "name": f"Reader {n}"})
        db.session.execute(text(
            "INSERT INTO thread_cache VALUES (1, '<ol></ol>', 3, '2026-01-01')"))
        db.session.commit()
        before = comments()
        db.session.remove()
        upgrade()
        assert comments() == before
        assert db.session.execute(text(
            "SELECT html, approved_count, generation FROM thread_cache")).all() == [
            ("<ol></ol>", 3, 0)]
        db.session.execute(text("UPDATE thread_cache SET html = NULL, generation = 1"))
        ddl = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'comments'"))
        assert "AUTOINCREMENT" in ddl
        db.session.execute(text("DELETE FROM comments WHERE id = 3"))
        db.session.execute(text(
            f"INSERT INTO comments ({columns[4:]}) VALUES (1, NULL, 0, 'New', 'n@example.com', "
            "'b', '<p>b</p>', 'h2', 'pending', 0, '[]', 0, '2026-01-02')"))
        assert db.session.scalar(text("SELECT max(id) FROM comments")) == 4
        db.session.commit()
        db.session.remove()
        downgrade(revision="0018")
        assert [tuple(row) for row in comments()] == [
            (1, None, "Reader 1", "approved"), (2, 1, "Reader 2", "approved"),
            (4, None, "New", "pending")]
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        assert db.session.scalar(text("SELECT count(*) FROM thread_cache")) == 0
        db.session.remove()
        db.engine.dispose()
