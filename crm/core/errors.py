"""Error pages in the site's style, and the database-down answer."""

import logging
import math
import time

from flask import jsonify, render_template, request
from flask.globals import request_ctx
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from crm.extensions import db, limiter

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood. If you sent a form, reload the "
          "page and try again."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Page not found", "There is nothing at this address. It may have moved."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "What you sent is larger than this site accepts. Shorten it and try again."),
    429: ("Too many requests", "You have sent too many requests in a short time."),
    500: ("Something went wrong", "An unexpected error stopped this request. Nothing you need to "
          "do: we have been told. Try again in a moment."),
    503: ("Temporarily unavailable", "The service cannot reach its database right now. Nothing "
          "was saved. Try again in a minute."),
}
DATABASE_RETRY_SECONDS = 30


def _wants_json() -> bool:
    return request.path == "/healthz" or request.accept_mimetypes.best == "application/json"


def render_error(code: int, detail: str | None = None, retry_after: int | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    if _wants_json():
        body = {"status": "error", "error": title, "message": detail or message}
        response = jsonify(body)
    else:
        response = render_template(
            "errors/error.html", code=code, title=title, message=message, detail=detail,
            retry_after=retry_after,
        )
    response = (response, code)
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return (*response, headers)


def _retry_after_seconds() -> int | None:
    limit = limiter.current_limit
    if limit is None:
        return None
    return max(1, math.ceil(limit.reset_at - time.time()))


def handle_http_error(error: HTTPException):
    if request_ctx.url_adapter is None:
        # The Host header was refused: no URL can be built, so no page in the site's layout.
        return f"{error.code} {error.name}", error.code, {"Content-Type": "text/plain"}
    if error.code == 429:
        return render_error(429, retry_after=_retry_after_seconds())
    if error.code == 400 and getattr(error, "description", "").startswith("The CSRF"):
        return render_error(400, "The form had expired or was sent from elsewhere. Reload the page "
                                 "and send it again.")
    if error.code in MESSAGES:
        return render_error(error.code)
    return error


def handle_database_down(error: DBAPIError):
    if not (isinstance(error, OperationalError) or error.connection_invalidated):
        raise error
    log.error("database unreachable: %s", error.orig)
    db.session.rollback()
    return render_error(503, retry_after=DATABASE_RETRY_SECONDS)


def handle_unexpected(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(500)


def register_error_handlers(app) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DBAPIError, handle_database_down)
    app.register_error_handler(Exception, handle_unexpected)
