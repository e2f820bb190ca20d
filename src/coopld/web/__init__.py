"""The Flask app factory: ``create_app(settings, dataset)``.

The dataset is opened once per process (here, or by the caller) and never per
request. Only this package imports Flask.
"""

from __future__ import annotations

from flask import Flask, Response, request

from ..config import Settings, load_settings
from ..errors import CoopldError
from ..store import Dataset, open_dataset
from .errors import register_error_handlers

__all__ = ["CORS_HEADERS", "create_app"]

ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
ALLOWED_HEADERS = "Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since, Range"
EXPOSED_HEADERS = (
    "Link, ETag, Last-Modified, Content-Location, Content-Language, Content-Disposition, Vary, "
    "Retry-After, Content-Profile, Content-Range, Accept-Ranges, Repr-Digest, "
    "X-Coopld-Truncated, X-Coopld-Row-Limit, X-Coopld-Timeout"
)
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": EXPOSED_HEADERS,
}


def create_app(settings: Settings | None = None, dataset: Dataset | None = None) -> Flask:
    settings = settings or load_settings()
    if dataset is None:
        dataset = open_dataset(settings.out)
    app = Flask(__name__)
    app.config["COOPLD_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = settings.max_request_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["coopld.dataset"] = dataset

    if settings.behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1
        )

    from .asgi import TARGET_LIMIT, TOO_LONG, QuickGate

    # innermost: under gunicorn, a request tried on the event loop stops here (web/asgi.py)
    app.wsgi_app = QuickGate(app.wsgi_app)  # type: ignore[method-assign]
    register_error_handlers(app)

    @app.before_request
    def target_length() -> None:
        length = request.environ.get(TOO_LONG)  # set by the HTTP front under gunicorn
        if length:
            raise CoopldError(
                f"the request target is {length} bytes long; this server reads at most "
                f"{TARGET_LIMIT}",
                hint="send a SPARQL query with POST",
                status=414,
            )

    @app.before_request
    def preflight() -> Response | None:
        if request.method == "OPTIONS":
            response = Response(status=204)
            response.headers["Allow"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "86400"
            return response
        return None

    @app.after_request
    def cors(response: Response) -> Response:
        for name, value in CORS_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    from .catalog import bp as catalog_bp
    from .resources import bp as resources_bp
    from .sparql import bp as sparql_bp

    app.register_blueprint(catalog_bp)
    app.register_blueprint(sparql_bp)
    app.register_blueprint(resources_bp)

    from .fastpath import SparqlFastPath

    # outermost: it answers ordinary lookups before Flask (and the response cache) start
    app.wsgi_app = SparqlFastPath(app.wsgi_app, app)  # type: ignore[method-assign]
    return app


def get_dataset() -> Dataset:
    from flask import current_app

    dataset: Dataset = current_app.extensions["coopld.dataset"]
    return dataset


def get_settings() -> Settings:
    from flask import current_app

    settings: Settings = current_app.config["COOPLD_SETTINGS"]
    return settings
