"""Public email pages: the one-click unsubscribe."""

from flask import Blueprint

bp = Blueprint("email", __name__)
