"""Outbox delivery throughput: emails per second to a local SMTP sink.

    .venv/bin/python bench/outbox.py [--emails 2000] [--postgres URL]

Prints one worker on SQLite, one worker on PostgreSQL, and two worker processes on
PostgreSQL draining the same outbox (claims with FOR UPDATE SKIP LOCKED). The sink runs in
its own process, as a real mail server would.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import exit_cleanly_on_sigterm  # noqa: E402
from crm import create_app  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.notifications.models import EmailStatus, OutboxEmail  # noqa: E402
from tests.smtp import free_port  # noqa: E402


def start_sink():
    port = free_port()
    sink = subprocess.Popen([sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(port)],
                            stdout=subprocess.PIPE, text=True)
    assert sink.stdout.readline().strip() == "ready"
    return sink, port


def stop_sink(sink) -> int:
    sink.terminate()
    out, _ = sink.communicate(timeout=30)
    return int(out.strip().splitlines()[-1])


def fill_outbox(app, count: int) -> None:
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        body_html = (ROOT / "templates" / "emails" / "test_email.html").read_text() * 3
        db.session.execute(OutboxEmail.__table__.delete())
        db.session.add_all([
            OutboxEmail(idempotency_key=f"bench-{n}", template="bench",
                        recipient=f"buyer{n}@example.com", subject=f"Your quote Q-2026-{n:04d}",
                        body_text="Hello,\n\nYour quote is ready.\n" * 10, body_html=body_html,
                        headers={})
            for n in range(count)
        ])
        db.session.commit()


def sent_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxEmail)
                                 .where(OutboxEmail.status == EmailStatus.SENT))


def in_process(url: str, engine_options: dict, count: int, instance: str) -> float:
    sink, port = start_sink()
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": engine_options, "MAIL_SERVER": "127.0.0.1",
                      "MAIL_PORT": port, "CRM_OUTBOX_BATCH_SIZE": 100},
                     instance_path=instance)
    fill_outbox(app, count)
    from crm.notifications.worker import run_worker

    started = time.perf_counter()
    run_worker(app, once=True)
    elapsed = time.perf_counter() - started
    received = stop_sink(sink)
    assert received == count == sent_count(app), (received, count)
    with app.app_context():
        db.engine.dispose()
    return count / elapsed


def processes(url: str, schema: str, workers: int, count: int, instance: str) -> float:
    sink, port = start_sink()
    options = {"connect_args": {"options": f"-csearch_path={schema},public"}}
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": options}, instance_path=instance)
    fill_outbox(app, count)
    env = dict(os.environ, SECRET_KEY="bench", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port),
               CRM_OUTBOX_BATCH_SIZE="100", CRM_INSTANCE_PATH=instance,
               DATABASE_URL=f"{url}?options=-csearch_path%3D{schema},public")
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "crm", "worker",
                               "--once"], cwd=ROOT, env=env) for _ in range(workers)]
    for proc in procs:
        assert proc.wait(timeout=600) == 0
    elapsed = time.perf_counter() - started
    received = stop_sink(sink)
    assert received == count == sent_count(app), (received, count)
    with app.app_context():
        db.engine.dispose()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--postgres", default=os.environ.get(
        "CRM_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    instance = tempfile.mkdtemp(prefix="crm-bench-")
    try:
        run_all(args, instance)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def run_all(args, instance: str) -> None:
    rate = in_process(f"sqlite:///{instance}/bench.sqlite3", {}, args.emails, instance)
    print(f"SQLite,     1 worker (in process):  {rate:8.0f} emails/s  ({args.emails} emails)")

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        options = {"connect_args": {"options": f"-csearch_path={schema},public"}}
        rate = in_process(args.postgres, options, args.emails, instance)
        print(f"PostgreSQL, 1 worker (in process):  {rate:8.0f} emails/s")
        for workers in (1, 2):
            rate = processes(args.postgres, schema, workers, args.emails, instance)
            print(f"PostgreSQL, {workers} worker process{'es' if workers > 1 else '  '}:     "
                  f"{rate:8.0f} emails/s  (exactly once: checked)")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
