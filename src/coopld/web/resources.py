"""Placeholder blueprint, replaced by the real resources views."""

from flask import Blueprint

bp = Blueprint("resources", __name__)
