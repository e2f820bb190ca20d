"""Placeholder blueprint, replaced by the real sparql views."""

from flask import Blueprint

bp = Blueprint("sparql", __name__)
