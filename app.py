"""Entry point: ``flask --app app ...`` uses ``app``; ``python app.py`` runs a demo server."""

from crm import create_app

app = create_app()

if __name__ == "__main__":
    from crm.devserver import run

    run(app)
