"""Formulation CRM: inquiries, comment moderation and quotes for an ingredient supplier."""

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the application: settings from the environment, then ``config`` over them.

    ``instance_path`` (or ``CRM_INSTANCE_PATH``) is where the SQLite database, the generated
    development secret key and the mail folder live; default ``instance/`` in the checkout.
    """
    import os

    from crm.config import load_config

    app = Flask(
        __name__,
        instance_path=instance_path
        or os.environ.get("CRM_INSTANCE_PATH")
        or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    env = dict(os.environ)
    if config and "SECRET_KEY" in config:
        env["SECRET_KEY"] = config["SECRET_KEY"]
    app.config.from_mapping(load_config(app.instance_path, env))
    if config:
        app.config.from_mapping(config)
    if app.config["CRM_ENV"] == "production":
        app.debug = False  # never the interactive debugger in production, whatever FLASK_DEBUG says
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["CRM_PROXY_HOPS"]:
        hops = app.config["CRM_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from crm.core.urls import install_converters

    install_converters(app)
    _init_extensions(app)
    _register_blueprints(app)

    from crm.core.errors import register_error_handlers
    from crm.core.security import set_security_headers
    from crm.core.templating import register_filters
    from crm.dashboard.navigation import staff_navigation

    register_error_handlers(app)
    register_filters(app)
    app.after_request(set_security_headers)
    app.jinja_env.globals["staff_navigation"] = staff_navigation

    from crm.cli import crm_cli

    app.cli.add_command(crm_cli)
    return app


def _init_extensions(app: Flask) -> None:
    import crm.models  # noqa: F401  (registers every table)
    from crm.auth.operations import load_session_user
    from crm.core.database import configure_engine
    from crm.extensions import bootstrap, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    mail.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(lambda token: load_session_user(db.session, token))


def _register_blueprints(app: Flask) -> None:
    from crm.articles.admin_views import bp as article_admin_bp
    from crm.articles.moderation_views import bp as moderation_bp
    from crm.articles.views import bp as articles_bp
    from crm.auth.admin_views import bp as accounts_bp
    from crm.auth.views import bp as auth_bp
    from crm.catalog.admin_views import bp as catalog_admin_bp
    from crm.catalog.views import bp as catalog_bp
    from crm.core.views import bp as core_bp
    from crm.dashboard.views import bp as dashboard_bp
    from crm.intake.views import bp as intake_bp
    from crm.leads import (  # noqa: F401  (they add routes to leads_bp)
        contact_views,
        detail_views,
        views,
    )
    from crm.leads.blueprint import bp as leads_bp
    from crm.notifications.log_views import bp as email_log_bp
    from crm.notifications.views import bp as email_bp
    from crm.quotes.public_views import bp as quote_public_bp
    from crm.quotes.views import bp as quotes_bp

    blueprints = (
        core_bp, articles_bp, auth_bp, accounts_bp, dashboard_bp, email_bp, email_log_bp,
        article_admin_bp, moderation_bp, intake_bp, leads_bp, catalog_bp, catalog_admin_bp,
        quotes_bp, quote_public_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
