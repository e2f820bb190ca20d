"""Run the app: Flask's development server, or gunicorn with N preloaded workers.

The dataset is loaded, and what every request needs (the member lists, the label
languages, the JSON-LD context) computed, once in the parent process: gunicorn's
workers fork from it and share those pages. Each worker is uvicorn's (HTTP in C, on an event
loop) serving the app through :mod:`coopld.web.asgi`, which answers ordinary lookups on the
loop and passes everything else to Flask on a few threads. The SPARQL query pool
is forked from the parent too, before the workers, and serves them all (:mod:`coopld.workers`).
"""

from __future__ import annotations

import gc
from typing import Any

from .config import Settings
from .store import open_dataset

__all__ = ["gunicorn_options", "run_server"]

#: threads per gunicorn worker for the requests Flask answers (the rest never leave the event
#: loop): enough for slow queries waiting on the query pool not to hold up the others
THREADS_PER_WORKER = 4


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    from .web.asgi import worker_class

    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "worker_class": worker_class(),
        "preload_app": True,
        "keepalive": 5,
        # request-line and header limits are the HTTP front's (web/asgi.py: TARGET_LIMIT,
        # HEADER_LIMIT): uvicorn's worker does not read gunicorn's limit_request_* settings
        "accesslog": None,
        # no runtime management socket: it would let any process of this user resize or stop
        # the server, and every server of the user would share its one default path
        "control_socket_disable": True,
        "timeout": max(30, int(settings.query_timeout * 4)),
    }


def run_server(settings: Settings) -> None:
    from .docstore import code_fingerprint
    from .web import create_app
    from .web.publisher import get_publisher

    dataset = open_dataset(settings.out)  # loaded once, before any worker forks
    app = create_app(settings, dataset)
    get_publisher(app).warm()
    code_fingerprint()  # read the package's files once, before any fork
    # what is loaded now lives as long as the process: keep it out of the collector's
    # way (shorter pauses) and out of its writes (the forked workers keep sharing it)
    gc.collect()
    gc.freeze()
    if settings.workers <= 0:
        print(
            f"coopld serving {settings.out} on http://{settings.host}:{settings.port}/", flush=True
        )
        app.run(host=settings.host, port=settings.port, threaded=True, use_reloader=False)
        return

    from gunicorn.app.base import BaseApplication

    from .query import start_query_server
    from .web.asgi import Front

    # one query pool for the whole server, forked now so that it shares the loaded store and
    # every gunicorn worker forked after it reaches it (see coopld.workers)
    app.extensions["coopld.query_server"] = start_query_server(dataset, settings)

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in gunicorn_options(settings).items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return Front(app, THREADS_PER_WORKER)

    _Gunicorn().run()
