"""Endpoints for machines: the health check."""

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from crm.core.errors import DATABASE_RETRY_SECONDS
from crm.extensions import csrf, db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except DBAPIError:
        db.session.rollback()
        body = {"status": "error", "database": "unreachable"}
        return jsonify(body), 503, {"Retry-After": str(DATABASE_RETRY_SECONDS)}
    return jsonify({"status": "ok", "database": "ok"})
