"""The worker against a real SMTP server on loopback (aiosmtpd)."""

import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import select, update

from crm.core.types import utcnow
from crm.extensions import db
from crm.notifications import notify
from crm.notifications.models import EmailStatus, OutboxEmail
from crm.notifications.worker import claim_batch, deliver_batch, run_worker
from tests.conftest import deliver_all
from tests.smtp import SMTPServer


def _queue(count, prefix="m", **kwargs):
    for n in range(count):
        notify(db.session, template="test_email", to=f"{prefix}{n}@example.com",
               key=f"{prefix}-{n}", **kwargs)
    db.session.commit()


def _statuses():
    return sorted(e.status.value for e in db.session.scalars(select(OutboxEmail)))


def _make_due():
    db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow()))
    db.session.commit()


def test_what_arrives_is_what_was_queued(make_app, smtp_server):
    app = make_app(**smtp_server.config(), CRM_MAIL_REPLY_TO="sales@northfield.example",
                   MAIL_DEFAULT_SENDER="Northfield Ingredients <crm@northfield.example>")
    notify(db.session, template="test_email", to="buyer@example.com", key="one",
           stream="digests")
    db.session.commit()
    deliver_all(app)
    [received] = smtp_server.messages
    message = received["message"]
    assert received["to"] == ["buyer@example.com"]
    assert received["from"] == "crm@northfield.example"
    assert message["Subject"] == "Test email from Northfield Ingredients"
    assert message["To"] == "buyer@example.com"
    assert message["Reply-To"] == "sales@northfield.example"
    email = db.session.scalar(select(OutboxEmail))
    assert message["Message-ID"] == f"<outbox-{email.id}@northfield.example>"
    assert message["List-Unsubscribe"].startswith("<https://crm.example.test/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "outgoing mail works" in text and "<p>" not in text
    assert "outgoing mail works" in html and "<p>" in html
    assert email.status is EmailStatus.SENT and email.sent_at is not None
    assert email.attempts == 1


def test_a_batch_goes_over_one_connection(mail_app, smtp_server):
    _queue(20)
    deliver_all(mail_app)
    assert len(smtp_server.messages) == 20
    assert smtp_server.handler.connections == 1
    assert _statuses() == ["sent"] * 20


def test_server_down_keeps_rows_then_delivers_once_back(make_app):
    server = SMTPServer()  # not started: the port refuses connections
    app = make_app(**server.config())
    _queue(3)
    deliver_all(app)
    emails = db.session.scalars(select(OutboxEmail)).all()
    assert all(e.status is EmailStatus.PENDING for e in emails)
    assert all(e.attempts == 1 and "Connection refused" in e.last_error for e in emails)
    assert all(e.next_attempt_at > utcnow() for e in emails)  # backed off
    server.start()
    try:
        deliver_all(app)
        assert server.messages == []  # not due yet: the back-off holds
        _make_due()
        deliver_all(app)
        deliver_all(app)
        assert sorted(m["to"][0] for m in server.messages) == [
            "m0@example.com", "m1@example.com", "m2@example.com"]
        assert _statuses() == ["sent"] * 3
    finally:
        server.stop()


def test_row_is_dead_after_the_last_attempt_and_kept(make_app):
    server = SMTPServer()
    app = make_app(**server.config(), CRM_OUTBOX_MAX_ATTEMPTS=3)
    _queue(1)
    for _ in range(3):
        deliver_all(app)
        _make_due()
    email = db.session.scalar(select(OutboxEmail))
    assert email.status is EmailStatus.DEAD
    assert email.attempts == 3 and email.last_error


def test_backoff_grows_exponentially_with_jitter(make_app):
    server = SMTPServer()
    app = make_app(**server.config(), CRM_OUTBOX_BACKOFF_SECONDS=100)
    _queue(1)
    delays = []
    for _ in range(3):
        before = utcnow()
        deliver_all(app)
        delays.append((db.session.scalar(select(OutboxEmail)).next_attempt_at - before)
                      .total_seconds())
        _make_due()
    assert 75 <= delays[0] <= 126
    assert 150 <= delays[1] <= 251
    assert 300 <= delays[2] <= 501


def test_backoff_never_waits_past_its_cap(make_app):
    from crm.notifications.worker import MAX_BACKOFF_SECONDS, _backoff

    make_app(CRM_OUTBOX_BACKOFF_SECONDS=30)
    delays = [_backoff(attempts).total_seconds() for attempts in (12, 20) for _ in range(100)]
    assert max(delays) <= MAX_BACKOFF_SECONDS and min(delays) >= 0.6 * MAX_BACKOFF_SECONDS
    assert len(set(delays)) > 100  # still spread out at the cap


def test_slow_server_times_out_without_hanging_the_worker(make_app):
    server = SMTPServer(delay=5).start()
    try:
        app = make_app(**(server.config() | {"CRM_MAIL_TIMEOUT": 1}))
        _queue(1)
        started = time.monotonic()
        deliver_all(app)
        assert time.monotonic() - started < 4
        email = db.session.scalar(select(OutboxEmail))
        assert email.status is EmailStatus.PENDING
        assert "timed out" in email.last_error.lower()
    finally:
        server.stop()


def test_request_that_queues_email_does_not_wait_for_a_slow_server(make_app):
    server = SMTPServer(delay=5).start()
    try:
        app = make_app(**server.config())

        @app.post("/queue-test")
        def queue_test():
            notify(db.session, template="test_email", to="x@example.com", key="slow")
            db.session.commit()
            return "queued"

        started = time.monotonic()
        response = app.test_client().post("/queue-test")
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert elapsed < 1.0  # the server sleeps 5 s per message
        assert server.handler.connections == 0  # the request never spoke SMTP
        assert db.session.scalar(select(OutboxEmail)).status is EmailStatus.PENDING
    finally:
        server.stop()


def test_crashed_claim_is_reclaimed_after_the_lease(mail_app, smtp_server):
    _queue(2)
    claimed = claim_batch(db.session, worker_id="crashed-worker", limit=10, lease_seconds=300)
    assert len(claimed) == 2
    # The worker dies here, between claim and send.
    deliver_all(mail_app)
    assert smtp_server.messages == []  # still leased to the dead worker
    db.session.execute(update(OutboxEmail).values(claimed_at=utcnow() - timedelta(seconds=301)))
    db.session.commit()
    deliver_all(mail_app)
    assert len(smtp_server.messages) == 2
    emails = db.session.scalars(select(OutboxEmail)).all()
    assert all(e.status is EmailStatus.SENT and e.attempts == 2 for e in emails)
    # The resend carries the same Message-ID, so a receiver can recognise a duplicate.
    assert {m["message"]["Message-ID"] for m in smtp_server.messages} == {
        f"<outbox-{e.id}@localhost>" for e in emails}


def test_stop_finishes_the_current_email_and_gives_the_rest_back(make_app):
    server = SMTPServer().start()
    stop = threading.Event()
    original = server.handler.handle_DATA

    async def stop_after_first(*args):
        result = await original(*args)
        stop.set()  # as SIGTERM would, while the first email is being sent
        return result

    server.handler.handle_DATA = stop_after_first
    try:
        app = make_app(**server.config())
        _queue(5)
        run_worker(app, stop=stop, poll_seconds=0.1)
        db.session.expire_all()
        assert len(server.messages) == 1
        emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
        assert emails[0].status is EmailStatus.SENT
        assert all(e.status is EmailStatus.PENDING and e.attempts == 0 for e in emails[1:])
    finally:
        server.stop()


def test_two_workers_drain_1000_rows_exactly_once(mail_app, smtp_server):
    rows = [OutboxEmail(idempotency_key=f"bulk-{n}", template="test_email",
                        recipient=f"r{n}@example.com", subject=f"Bulk {n}",
                        body_text="text", body_html="<p>html</p>", headers={})
            for n in range(1000)]
    db.session.add_all(rows)
    db.session.commit()
    mail_app.config["CRM_OUTBOX_BATCH_SIZE"] = 25
    workers = [threading.Thread(target=run_worker, args=(mail_app,), kwargs={"once": True})
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    smtp_server.handler.wait_for(1000)
    ids = [m["message"]["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == 1000 and len(set(ids)) == 1000
    db.session.expire_all()
    assert _statuses() == ["sent"] * 1000
    claimed_by = {e.claimed_by for e in db.session.scalars(select(OutboxEmail))}
    assert claimed_by == {None} or len(claimed_by) >= 1


def test_deliver_batch_returns_zero_when_nothing_is_due(mail_app):
    assert deliver_batch(db.session, worker_id="w") == 0


def test_worker_command_once_and_send_test_email_write_eml_files(app, runner):
    _queue(2)
    result = runner.invoke(args=["crm", "worker", "--once"])
    assert result.exit_code == 0, result.output
    files = sorted(Path(app.config["CRM_MAIL_DIR"]).glob("*.eml"))
    assert len(files) == 2
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["Subject"] == "Test email from Northfield Ingredients"
    assert message.get_body(("html",)) is not None
    result = runner.invoke(args=["crm", "send-test-email", "ops@example.com"])
    assert result.exit_code == 0 and ": sent" in result.output
    assert len(list(Path(app.config["CRM_MAIL_DIR"]).glob("*.eml"))) == 3


def test_background_worker_of_the_dev_server_delivers(app):
    from crm.devserver import start_worker

    _queue(1)
    stop = start_worker(app)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not list(
                Path(app.config["CRM_MAIL_DIR"]).glob("*.eml")):
            time.sleep(0.05)
    finally:
        stop.set()
    assert len(list(Path(app.config["CRM_MAIL_DIR"]).glob("*.eml"))) == 1


def test_non_ascii_subject_and_names_survive(mail_app, smtp_server):
    from jinja2 import ChoiceLoader, DictLoader

    mail_app.jinja_env.loader = ChoiceLoader([DictLoader({
        "emails/uni.txt": '{% set subject = "Angebot für " ~ name %}Grüße, {{ name }}',
        "emails/uni.html": "<p>Grüße, {{ name }}</p>",
    }), mail_app.jinja_env.loader])
    notify(db.session, template="uni", to="juergen@example.com", key="u",
           context={"name": "Jürgen Müller"})
    db.session.commit()
    deliver_all(mail_app)
    [received] = smtp_server.messages
    assert received["message"]["Subject"] == "Angebot für Jürgen Müller"
    assert "Grüße, Jürgen Müller" in received["message"].get_body(("plain",)).get_content()


def test_unsendable_address_is_dead_and_the_batch_goes_on(mail_app, smtp_server):
    notify(db.session, template="test_email", to="jürgen@example.com", key="bad")
    notify(db.session, template="test_email", to="good@example.com", key="good")
    db.session.commit()
    deliver_all(mail_app)
    assert [m["to"] for m in smtp_server.messages] == [["good@example.com"]]
    bad = db.session.scalar(select(OutboxEmail).where(OutboxEmail.idempotency_key == "bad"))
    assert bad.status is EmailStatus.DEAD and "UnicodeEncodeError" in bad.last_error


def test_recipient_refused_permanently_is_dead_at_once(make_app):
    server = SMTPServer()

    async def refuse(server_, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user"

    server.handler.handle_RCPT = refuse
    server.start()
    try:
        app = make_app(**server.config())
        _queue(1)
        deliver_all(app)
        email = db.session.scalar(select(OutboxEmail))
        assert email.status is EmailStatus.DEAD and email.attempts == 1
        assert "550" in email.last_error
    finally:
        server.stop()
