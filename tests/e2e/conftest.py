"""End-to-end journeys: Playwright drives Debian's Chromium against a real server.

The app is served by werkzeug's threaded HTTP server on a free loopback port, with its own
SQLite database, CSRF on, the outbox worker running, and an aiosmtpd sink receiving mail.
Marked ``e2e``; skipped when Chromium or Playwright is missing (`.ci/run` installs both).
"""

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "journey password 42"

playwright_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip("Chromium is not installed (apt-get install -y chromium)",
                allow_module_level=True)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


class Site:
    """The running site: its URL, its app (for setup and checks), and the mail sink."""

    def __init__(self, app, url, smtp):
        self.app, self.url, self.smtp = app, url, smtp

    def messages_to(self, address):
        return [m["message"] for m in self.smtp.messages if address in m["to"]]


@pytest.fixture(scope="session")
def e2e_database(tmp_path_factory):
    """A database of the journeys' own: SQLite, or a throw-away PostgreSQL schema when the
    suite runs on PostgreSQL (the other tests empty theirs between tests)."""
    import uuid

    from sqlalchemy import create_engine, text

    from tests.conftest import POSTGRES_URL

    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('e2e-db')}/e2e.db", {}
        return
    schema = f"crm_e2e_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield POSTGRES_URL, {"connect_args": {"options": f"-csearch_path={schema},public"}}
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def site(tmp_path_factory, e2e_database):
    from flask_migrate import upgrade

    from crm import create_app
    from crm.auth.models import Role
    from crm.auth.operations import create_user
    from crm.demo import seed_demo
    from crm.extensions import db
    from crm.notifications.worker import run_worker
    from tests.smtp import SMTPServer, free_port

    instance = tmp_path_factory.mktemp("e2e")
    smtp = SMTPServer().start()
    port = free_port()
    app = create_app({
        "SECRET_KEY": "e2e-secret", "SQLALCHEMY_DATABASE_URI": e2e_database[0],
        "SQLALCHEMY_ENGINE_OPTIONS": e2e_database[1],
        "CRM_BASE_URL": f"http://127.0.0.1:{port}", "CRM_MIN_FILL_SECONDS": 0,
        "CRM_OUTBOX_POLL_SECONDS": 0.2, **smtp.config(),
    }, instance_path=str(instance))
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        for role in Role:
            create_user(db.session, email=f"e2e-{role.value}@example.com",
                        name=f"E2E {role.label}", role=role, password=PASSWORD)
        db.session.commit()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(app,), kwargs={"stop": stop}, daemon=True)
    worker.start()
    yield Site(app, f"http://127.0.0.1:{port}", smtp)
    stop.set()
    server.shutdown()
    worker.join(timeout=10)
    smtp.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser context (no cookies) whose console errors fail the test (a form
    refused with a 400 page is no error)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []

    def on_console(msg):
        # A form sent back with its errors is a 400 page by design; Chromium reports the
        # page's own status as a console error all the same.
        refused_form = msg.location.get("url") == page.url and "status of 400" in msg.text
        if msg.type == "error" and not refused_form:
            errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"console errors: {errors}"


@pytest.fixture
def shot(request):
    """Save a screenshot of every page a journey visits (tests/e2e/screenshots/, ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    counter = iter(range(1, 1000))

    def take(page, name):
        page.screenshot(path=SCREENSHOTS / f"{request.node.name}-{next(counter):02d}-{name}.png",
                        full_page=True)

    return take
