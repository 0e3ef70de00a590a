"""The admin email log: list, filters, paging, one email, its HTML body and resending."""

import html
import re

import pytest
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.notifications import notify
from crm.notifications.models import EmailStatus
from crm.notifications.transport import message_domain
from tests.conftest import recorded_statements
from tests.plans import plans, statistics

LOG = "/dashboard/emails/"


def queue(to, *, key=None, template="test_email", context=None, related=None, **attributes):
    """Queue one email through ``notify`` and commit; ``attributes`` are set on the row after."""
    email = notify(db.session, template=template, to=to, key=key or f"test:{to}",
                   context=context, related=related)
    for name, value in attributes.items():
        setattr(email, name, value)
    db.session.commit()
    return email


def queue_password_reset(to):
    return queue(to, template="password_reset", context={
        "user": {"name": "Pat"}, "valid_minutes": 30,
        "reset_url": "https://crm.example.test/reset/abc"})


def page_text(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def listed_ids(page):
    return [int(found) for found in re.findall(r'href="/dashboard/emails/(\d+)"', page)]


# --- who may see it ---------------------------------------------------------------------

def test_admin_sees_the_log_with_each_column(client, auth):
    auth.login("admin")
    email = queue("reader@example.com", status=EmailStatus.DEAD, attempts=3,
                  last_error="SMTPRecipientsRefused: 550 mailbox unavailable")
    page = page_text(client, LOG)
    assert "reader@example.com" in page
    assert html.escape(email.subject) in page
    assert "<code>test_email</code>" in page
    assert 'class="badge text-bg-danger">Dead<' in page
    assert "550 mailbox unavailable" in page
    assert listed_ids(page) == [email.id]


@pytest.mark.parametrize("role", ["sales", "moderator"])
def test_other_staff_roles_are_refused(client, auth, role):
    email = queue("reader@example.com", status=EmailStatus.DEAD)
    auth.login(role)
    for path in (LOG, f"{LOG}{email.id}", f"{LOG}{email.id}/body.html"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"{LOG}{email.id}/resend").status_code == 403
    db.session.refresh(email)
    assert email.status is EmailStatus.DEAD and email.resends == 0


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(LOG)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- filters and paging -----------------------------------------------------------------

def test_status_filter_narrows_the_list(client, auth):
    auth.login("admin")
    pending = queue("waiting@example.com")
    dead = queue("bounced@example.com", status=EmailStatus.DEAD)
    page = page_text(client, f"{LOG}?status=dead")
    assert listed_ids(page) == [dead.id]
    assert '<option value="dead" selected>' in page
    assert listed_ids(page_text(client, f"{LOG}?status=pending")) == [pending.id]


def test_template_filter_lists_the_templates_in_use_and_narrows(client, auth):
    auth.login("admin")
    test_email = queue("one@example.com")
    reset = queue_password_reset("two@example.com")
    page = page_text(client, LOG)
    assert '<option value="password_reset">' in page and '<option value="test_email">' in page
    assert listed_ids(page_text(client, f"{LOG}?template=password_reset")) == [reset.id]
    assert listed_ids(page_text(client, f"{LOG}?template=test_email")) == [test_email.id]


def test_recipient_search_is_a_case_insensitive_substring(client, auth):
    auth.login("admin")
    alice = queue("Alice.Baker@Example.com")
    queue("bob@example.com")
    assert listed_ids(page_text(client, f"{LOG}?recipient=ALICE")) == [alice.id]
    assert listed_ids(page_text(client, f"{LOG}?recipient=baker%40exa")) == [alice.id]
    # LIKE wildcards typed in the box are searched for literally.
    assert listed_ids(page_text(client, f"{LOG}?recipient=%25")) == []
    assert listed_ids(page_text(client, f"{LOG}?recipient=_")) == []
    assert listed_ids(page_text(client, f"{LOG}?recipient=%22bo")) == []  # a quote too


def test_recipient_search_lists_the_newest_first_and_follows_new_and_resent_emails(client,
                                                                                    auth):
    auth.login("admin")
    first = queue("carol@example.com")
    second = queue("carol@example.org", key="second")
    assert listed_ids(page_text(client, f"{LOG}?recipient=carol")) == [second.id, first.id]
    db.session.delete(second)
    db.session.commit()
    assert listed_ids(page_text(client, f"{LOG}?recipient=carol")) == [first.id]


@pytest.mark.parametrize("at_scale", [False, True], ids=["no statistics", "at 200,000 emails"])
def test_the_recipient_search_reads_an_index_newest_first(client, auth, at_scale):
    """The matches in the order they were queued, from the search index, stopping at the page:
    no email read that does not match, and no sort of every match."""
    auth.login("admin")
    queue("dana@example.com")
    db.session.commit()
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plans")
    with statistics(at_scale), plans("outbox_emails") as seen:
        page_text(client, f"{LOG}?recipient=dana@exa")
    (rows_plan,) = [plan for statement, (plan, _) in seen.items() if "ORDER BY" in statement]
    assert "VIRTUAL TABLE" in rows_plan[0], rows_plan
    assert not any("TEMP B-TREE" in line or line.startswith("SCAN outbox_emails")
                   for line in rows_plan), rows_plan


def test_filters_combine(client, auth):
    auth.login("admin")
    wanted = queue("ops@example.com", status=EmailStatus.DEAD)
    queue("ops@example.org")  # same recipient text, wrong status
    queue("sales@example.com", key="other", status=EmailStatus.DEAD)  # wrong recipient
    queue_password_reset("ops@example.net").status = EmailStatus.DEAD  # wrong template
    db.session.commit()
    page = page_text(client, f"{LOG}?status=dead&template=test_email&recipient=ops")
    assert listed_ids(page) == [wanted.id]


def test_invalid_filter_values_filter_nothing(client, auth):
    auth.login("admin")
    email = queue("reader@example.com")
    page = page_text(client, f"{LOG}?status=lost&template=nope&page=-3")
    assert listed_ids(page) == [email.id]
    assert "Not a valid choice" in page


def test_paging_fifty_a_page_newest_first_keeping_the_filters(client, auth):
    auth.login("admin")
    emails = [queue(f"person{n:02d}@example.com") for n in range(1, 56)]
    dead = queue("person99@example.com", status=EmailStatus.DEAD)  # newest, filtered out
    # Unfiltered, the dead one comes first and pushes one more row to page 2.
    assert listed_ids(page_text(client, LOG))[0] == dead.id

    first = page_text(client, f"{LOG}?status=pending&recipient=person")
    assert listed_ids(first) == [email.id for email in reversed(emails[5:])]
    assert "Newer</span>" in first  # no earlier page
    older = re.search(r'rel="next" href="([^"]+)"', first)
    assert older, "no link to the next page"
    next_url = html.unescape(older.group(1))
    assert "status=pending" in next_url and "recipient=person" in next_url
    assert "page=2" in next_url

    second = page_text(client, next_url)
    assert listed_ids(second) == [email.id for email in reversed(emails[:5])]
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_index_runs_the_same_queries_for_5_and_40_rows(client, auth):
    user = auth.login("admin")
    for n in range(5):
        queue(f"few{n}@example.com", related=user, status=EmailStatus.DEAD, last_error="x" * 500)

    def statements_for(path):
        with recorded_statements() as statements:
            page = page_text(client, path)
        return page, statements

    page, few = statements_for(LOG)
    assert len(listed_ids(page)) == 5
    for n in range(35):
        queue(f"many{n}@example.com", related=user if n % 2 else None)
    page, many = statements_for(LOG)
    assert len(listed_ids(page)) == 40
    assert len(many) == len(few)
    assert not any("body_html" in sql or "body_text" in sql for sql in many)


# --- links to related objects -----------------------------------------------------------

def test_related_object_is_named_and_linked_when_its_page_exists(client, auth):
    admin = auth.login("admin")
    email = queue("reset@example.com", related=admin)
    assert email.related_label == admin.name  # named when queued: the list reads no other table
    queue("lead@example.com", related_type="leads", related_id=3)  # queued before names
    page = page_text(client, LOG)
    assert f'<a href="/dashboard/users/{admin.id}">{html.escape(admin.name)}</a>' in page
    if "leads.show" in client.application.view_functions:
        assert ">leads #3</a>" in page
    else:
        assert "leads #3" in page and ">leads #3</a>" not in page
    show = page_text(client, f"{LOG}{email.id}")
    assert f'<a href="/dashboard/users/{admin.id}">{html.escape(admin.name)}</a>' in show


# --- one email --------------------------------------------------------------------------

def test_show_page_has_the_headers_and_the_text_body(client, auth):
    auth.login("admin")
    email = queue("reader@example.com", status=EmailStatus.DEAD, attempts=5,
                  last_error="TimeoutError: timed out", headers={"X-Campaign": "spring"})
    page = page_text(client, f"{LOG}{email.id}")
    assert html.escape(email.subject) in page
    assert f"<pre class=\"border rounded bg-light p-3 mb-4\">{html.escape(email.body_text)}" in page
    assert html.escape(email.message_id(message_domain())) in page
    assert email.idempotency_key in page and "X-Campaign: spring" in page
    assert "TimeoutError: timed out" in page
    assert f'<iframe sandbox src="/dashboard/emails/{email.id}/body.html"' in page
    assert f'action="/dashboard/emails/{email.id}/resend"' in page


def test_missing_email_is_404(client, auth):
    auth.login("admin")
    assert client.get(f"{LOG}999999").status_code == 404
    assert client.get(f"{LOG}999999/body.html").status_code == 404
    assert client.post(f"{LOG}999999/resend").status_code == 404


def test_html_body_is_served_sandboxed(client, auth):
    auth.login("admin")
    email = queue("reader@example.com")
    response = client.get(f"{LOG}{email.id}/body.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.get_data(as_text=True) == email.body_html
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox; default-src 'none'; img-src data:; "
                             "style-src 'unsafe-inline'")
    assert "frame-ancestors 'self'" in policy and "frame-ancestors 'none'" not in policy
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    # Every other page keeps the strict defaults.
    assert client.get(f"{LOG}{email.id}").headers["X-Frame-Options"] == "DENY"


# --- resending --------------------------------------------------------------------------

def test_resending_a_dead_email_queues_it_again(client, auth):
    admin = auth.login("admin")
    email = queue("reader@example.com", status=EmailStatus.DEAD, attempts=8,
                  last_error="SMTPServerDisconnected: gone")
    response = client.post(f"{LOG}{email.id}/resend")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{LOG}{email.id}"
    db.session.refresh(email)
    assert email.status is EmailStatus.PENDING
    assert (email.attempts, email.resends, email.last_error) == (0, 1, None)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "email.resent")).all()
    assert [(e.actor_id, e.object_type, e.object_id) for e in events] == [
        (admin.id, "outbox_emails", email.id)]
    page = page_text(client, response.headers["Location"])
    assert "Queued again" in page
    assert "/resend" not in page  # pending now: no button


def test_resending_a_pending_email_is_refused_and_changes_nothing(client, auth):
    auth.login("admin")
    email = queue("reader@example.com", attempts=2)
    assert "/resend" not in page_text(client, f"{LOG}{email.id}")
    response = client.post(f"{LOG}{email.id}/resend", follow_redirects=True)
    assert response.status_code == 200
    assert "Only a sent or dead email can be resent." in response.get_data(as_text=True)
    db.session.refresh(email)
    assert (email.status, email.attempts, email.resends) == (EmailStatus.PENDING, 2, 0)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "email.resent")) == 0


def test_only_sent_and_dead_emails_offer_resend(client, auth):
    auth.login("admin")
    shown = {}
    for status in EmailStatus:
        email = queue(f"{status.value}@example.com", status=status)
        shown[status] = f"/dashboard/emails/{email.id}/resend" in page_text(
            client, f"{LOG}{email.id}")
    assert shown == {EmailStatus.PENDING: False, EmailStatus.SENDING: False,
                     EmailStatus.SENT: True, EmailStatus.DEAD: True}


@pytest.mark.parametrize("at_scale", [False, True], ids=["no statistics", "at 200,000 emails"])
@pytest.mark.parametrize("filters", [{"status": "pending"}, {"status": "dead"},
                                     {"template": "test_email"}])
def test_a_status_or_a_template_is_read_from_its_index_in_date_order(client, auth, filters,
                                                                      at_scale):
    """However few emails have it: not a walk through every email's date (half a second at
    200,000 emails for a status no email has)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plans")
    auth.login("admin")
    queue("reader@example.com", status=EmailStatus.SENT)
    db.session.commit()
    with statistics(at_scale), plans("outbox_emails") as seen:
        page_text(client, LOG + "?" + "&".join(f"{k}={v}" for k, v in filters.items()))
    (rows_plan,) = [plan for statement, (plan, _) in seen.items() if "ORDER BY" in statement]
    (names_plan,) = [plan for statement, (plan, _) in seen.items() if "template_names" in
                     statement]  # the filter's choices: one look-up per template, no scan
    assert not any(line.startswith("SCAN outbox_emails") for line in names_plan), names_plan
    field = next(iter(filters))
    assert rows_plan == [f"SEARCH outbox_emails USING INDEX ix_outbox_emails_{field}_created "
                         f"({field}=?)"], rows_plan
