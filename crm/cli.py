"""The ``flask crm ...`` commands."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from crm.extensions import db

crm_cli = AppGroup("crm", help="Formulation CRM commands.")


@crm_cli.command("seed-demo")
def seed_demo_command():
    """Add the demo users, article, catalog and quote requests (safe to run again)."""
    from crm.demo import save_demo_logins, seed_demo
    from crm.demo.leads import seed_demo_leads

    created = seed_demo(db.session)
    db.session.commit()
    sent = seed_demo_leads(db.session)
    db.session.commit()
    save_demo_logins(current_app.instance_path, created)
    for role, email, password in created:
        click.echo(f"{role:<10} {email:<24} {password}")
    if not created:
        click.echo("Demo data is in place; no new users.")
    if sent:
        click.echo(f"Sent {sent} demo quote requests through the intake pipeline.")


@crm_cli.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "sales", "moderator"]), required=True)
@click.option("--name", default=None, help="Display name (default: the part before @).")
def create_user_command(email: str, role: str, name: str | None):
    """Create a staff account. Prompts for the password, or reads one line from stdin."""
    from crm.auth.forms import MIN_PASSWORD_LENGTH
    from crm.auth.models import Role
    from crm.auth.operations import AccountError, create_user

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    try:
        user = create_user(db.session, email=email, name=name or email.split("@")[0],
                           role=Role(role), password=password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.email} ({role}).")


@crm_cli.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (for cron).")
def worker_command(once: bool):
    """Deliver queued email. SIGTERM finishes the current email, then stops."""
    import signal
    import threading

    from crm.notifications.worker import run_worker

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run_worker(current_app._get_current_object(), once=once, stop=stop)


@crm_cli.command("send-test-email")
@click.argument("address")
def send_test_email_command(address: str):
    """Queue a test email to ADDRESS and deliver it now."""
    import uuid

    from crm.notifications import notify
    from crm.notifications.worker import deliver_batch, new_worker_id

    email = notify(db.session, template="test_email", to=address,
                   key=f"test-email:{uuid.uuid4().hex}")
    db.session.commit()
    deliver_batch(db.session, worker_id=new_worker_id())
    db.session.refresh(email)
    click.echo(f"Email {email.id} to {address}: {email.status.value}"
               + (f" ({email.last_error})" if email.last_error else ""))


@crm_cli.command("send-digests")
@click.option("--any-day", is_flag=True, help="Send them on a day off (CRM_WORKING_DAYS) too.")
def send_digests_command(any_day: bool):
    """Email each owner their overdue and unanswered leads (run daily from cron: on a day
    off, nothing is sent)."""
    from crm.core.types import utcnow
    from crm.core.worktime import is_working_day
    from crm.leads.followup import send_digests

    config = current_app.config
    if not any_day and not is_working_day(utcnow(), config["CRM_WORKING_DAYS"],
                                          config["CRM_WORKING_TIME_ZONE"]):
        click.echo("Today is not a working day (CRM_WORKING_DAYS): no digest queued. "
                   "--any-day sends them anyway.")
        return
    count = send_digests(db.session)
    db.session.commit()
    click.echo(f"Queued {count} digest{'s' if count != 1 else ''}.")


@crm_cli.command("seed-bulk")
@click.option("--leads", "count", default=100_000, show_default=True)
@click.option("--seed", default=7, show_default=True, help="Random seed, for repeatable data.")
def seed_bulk_command(count: int, seed: int):
    """Fill the database with a realistic data set of leads and their quotes (for
    benchmarks)."""
    from crm.demo import seed_demo
    from crm.leads.bulk import seed_bulk, settle
    from crm.quotes.bulk import seed_bulk_quotes

    seed_demo(db.session)
    db.session.commit()
    with click.progressbar(length=count, label=f"Adding {count:,} leads") as bar:
        seed_bulk(db.session, leads=count, seed=seed, progress=bar.update)
    quotes = seed_bulk_quotes(db.session, seed=seed)
    db.session.commit()
    settle(db.engine)
    click.echo(f"Added {count:,} leads and {quotes:,} quotes.")


@crm_cli.command("analyze")
def analyze_command():
    """Refresh the query planner's statistics (SQLite never does it by itself; run weekly)."""
    from crm.core.database import analyze

    analyze(db.engine)
    click.echo("Statistics refreshed.")


@crm_cli.command("expire-quotes")
def expire_quotes_command():
    """Mark sent quotes past their validity as expired (run daily from cron)."""
    from crm.quotes.answers import expire_quotes

    count = expire_quotes(db.session)
    db.session.commit()
    click.echo(f"Expired {count} quote{'s' if count != 1 else ''}.")


@crm_cli.command("purge-spam")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep what changed more recently (default: CRM_SPAM_RETENTION_DAYS).")
def purge_spam_command(days: int | None):
    """Delete spam leads and spam or trashed comments no one has touched for a while (run
    daily from cron)."""
    from datetime import timedelta

    from crm.articles.moderation import purge_comments
    from crm.core.types import utcnow
    from crm.leads.purge import purge_spam_leads

    days = days or current_app.config["CRM_SPAM_RETENTION_DAYS"]
    before = utcnow() - timedelta(days=days)
    leads = purge_spam_leads(db.session, before=before)
    comments = purge_comments(db.session, before=before)
    db.session.commit()
    click.echo(f"Deleted {leads} spam lead{'s' if leads != 1 else ''} and {comments} "
               f"comment{'s' if comments != 1 else ''} older than {days} days.")
