"""notify(): rendering, idempotency, header safety, opt-outs, one transaction with the caller."""

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, select

from crm.extensions import db
from crm.notifications import HeaderInjectionError, notify, notify_new
from crm.notifications.models import EmailStatus, OutboxEmail
from crm.notifications.operations import opt_out
from tests.factories import make_user


def _count():
    return db.session.scalar(select(func.count()).select_from(OutboxEmail))


def test_notify_renders_both_parts_and_links_the_object(app):
    user = make_user(role="sales")
    email = notify(db.session, template="test_email", to="buyer@example.com", key="t1",
                   related=user)
    db.session.commit()
    assert email.status is EmailStatus.PENDING
    assert email.subject == "Test email from Northfield Ingredients"
    assert "outgoing mail works" in email.body_text
    assert "<p>" in email.body_html and "outgoing mail works" in email.body_html
    assert (email.related_type, email.related_id) == ("users", user.id)


def test_same_key_queues_once(app):
    first = notify(db.session, template="test_email", to="a@example.com", key="same")
    second = notify(db.session, template="test_email", to="a@example.com", key="same")
    db.session.commit()
    assert first is second
    assert _count() == 1
    notify(db.session, template="test_email", to="a@example.com", key="same")
    db.session.commit()
    assert _count() == 1


def test_rows_share_the_callers_transaction(app):
    notify(db.session, template="test_email", to="a@example.com", key="rolled-back")
    db.session.rollback()
    assert _count() == 0


@pytest.mark.parametrize("kwargs", [
    {"to": "a@example.com\r\nBcc: victim@example.com"},
    {"to": "a@example.com\nX: y"},
    {"headers": {"X-Thing": "ok\r\nBcc: victim@example.com"}},
    {"headers": {"X-Thing\r\nBcc": "victim@example.com"}},
])
def test_header_injection_is_refused_before_the_row_is_written(app, kwargs):
    values = {"template": "test_email", "to": "a@example.com", "key": "inj"} | kwargs
    with pytest.raises(HeaderInjectionError):
        notify(db.session, **values)
    db.session.commit()
    assert _count() == 0


def test_line_break_in_a_rendered_subject_is_refused(app):
    app.jinja_env.loader = ChoiceLoader([DictLoader({
        "emails/hello.txt": '{% set subject = "Hello " ~ name %}Hi.',
        "emails/hello.html": "<p>Hi.</p>",
    }), app.jinja_env.loader])
    with pytest.raises(HeaderInjectionError):
        notify(db.session, template="hello", to="a@example.com", key="s",
               context={"name": "Eve\r\nBcc: victim@example.com"})
    email = notify(db.session, template="hello", to="a@example.com", key="s2",
                   context={"name": "Eve"})
    assert email.subject == "Hello Eve"


def test_opted_out_address_gets_nothing_for_that_stream_only(app):
    opt_out(db.session, email="Reader@Example.com", stream="comment-replies")
    assert notify(db.session, template="test_email", to="reader@example.com", key="r1",
                  stream="comment-replies") is None
    other = notify(db.session, template="test_email", to="reader@example.com", key="r2",
                   stream="digests")
    db.session.commit()
    assert other is not None and _count() == 1
    assert other.headers["List-Unsubscribe"].startswith("<https://crm.example.test/unsubscribe/")
    assert other.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in other.body_text or "/unsubscribe/" in other.body_html


def test_notify_new_queues_the_rows_notify_would_in_one_go(app):
    user = make_user(role="sales")
    opt_out(db.session, email="reader@example.com", stream="digests")
    notify(db.session, template="test_email", to="one@example.com", key="one", related=user)
    notify_new(db.session, [
        {"template": "test_email", "to": "two@example.com", "key": "two", "related": user},
        {"template": "test_email", "to": "reader@example.com", "key": "out",
         "stream": "digests"},
    ])
    db.session.commit()
    one, two = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    columns = [c.key for c in OutboxEmail.__table__.columns
               if c.key not in ("id", "idempotency_key", "recipient", "created_at",
                                "next_attempt_at")]
    assert two.idempotency_key == "two" and two.recipient == "two@example.com"
    assert {c: getattr(two, c) for c in columns} == {c: getattr(one, c) for c in columns}


def test_notify_new_refuses_header_injection_before_any_row_is_written(app):
    with pytest.raises(HeaderInjectionError):
        notify_new(db.session, [
            {"template": "test_email", "to": "a@example.com", "key": "ok"},
            {"template": "test_email", "to": "b@example.com\r\nBcc: x@example.com",
             "key": "inj"},
        ])
    db.session.commit()
    assert _count() == 0
