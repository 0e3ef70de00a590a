"""``python app.py``: migrate, seed the demo data, print the logins, serve on 127.0.0.1:5000."""

import threading

from flask_migrate import upgrade

from crm.demo import demo_logins_path, save_demo_logins, seed_demo
from crm.demo.leads import seed_demo_leads
from crm.extensions import db
from crm.notifications.worker import run_worker


def prepare(app) -> list[tuple[str, str, str]]:
    """Bring the database to the latest schema and add any missing demo data."""
    with app.app_context():
        upgrade()
        created = seed_demo(db.session)
        db.session.commit()
        seed_demo_leads(db.session)  # after the users: the sales user works some of them
        db.session.commit()
        save_demo_logins(app.instance_path, created)
    return created


def start_worker(app) -> threading.Event:
    """The outbox worker in a background thread, so a first run sees its emails appear."""
    stop = threading.Event()
    threading.Thread(target=run_worker, args=(app,), kwargs={"stop": stop}, daemon=True,
                     name="outbox-worker").start()
    return stop


def run(app, host: str = "127.0.0.1", port: int | None = None) -> None:
    port = port or app.config["CRM_DEV_PORT"]
    prepare(app)
    start_worker(app)
    logins = demo_logins_path(app.instance_path)
    print("\nFormulation CRM demo")
    print(f"  site:      http://{host}:{port}/")
    print(f"  staff:     http://{host}:{port}/login")
    if logins.exists():
        print(f"  logins ({logins}):")
        for line in logins.read_text().splitlines():
            print(f"    {line}")
    mail = app.config["MAIL_SERVER"] or app.config["CRM_MAIL_DIR"]
    print(f"  emails:    {mail}")
    print()
    app.run(host=host, port=port, debug=False, use_reloader=False)
