"""Placeholder blueprint, replaced by the real catalogue views."""

from flask import Blueprint

bp = Blueprint("catalog", __name__)


@bp.get("/")
def home() -> str:
    return "coopld"
