"""Placeholder blueprint, replaced by the real SPARQL views."""

from flask import Blueprint

bp = Blueprint("sparql", __name__)


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> str:
    return "sparql"
