"""``python app.py``: migrate, seed the demo data, print the logins, serve on 127.0.0.1:5000."""

from flask_migrate import upgrade

from crm.demo import demo_logins_path, save_demo_logins, seed_demo
from crm.extensions import db


def prepare(app) -> list[tuple[str, str, str]]:
    """Bring the database to the latest schema and add any missing demo data."""
    with app.app_context():
        upgrade()
        created = seed_demo(db.session)
        db.session.commit()
        save_demo_logins(app.instance_path, created)
    return created


def run(app, host: str = "127.0.0.1", port: int = 5000) -> None:
    prepare(app)
    logins = demo_logins_path(app.instance_path)
    print("\nFormulation CRM demo")
    print(f"  site:      http://{host}:{port}/")
    print(f"  staff:     http://{host}:{port}/login")
    if logins.exists():
        print(f"  logins ({logins}):")
        for line in logins.read_text().splitlines():
            print(f"    {line}")
    print()
    app.run(host=host, port=port, debug=False, use_reloader=False)
