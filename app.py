"""Entry point: ``flask --app app ...`` uses ``app``; ``python app.py`` runs a demo server."""

import sys

from crm import create_app
from crm.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:  # a missing or wrong setting: say which, not a traceback
    sys.exit(f"Configuration error: {exc}")

if __name__ == "__main__":
    from crm.devserver import run

    run(app)
