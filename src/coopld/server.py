"""Run the app: Flask's development server, or gunicorn with N preloaded workers."""

from __future__ import annotations

from typing import Any

from .config import Settings
from .store import open_dataset

__all__ = ["run_server"]


def run_server(settings: Settings) -> None:
    from .web import create_app

    dataset = open_dataset(settings.out)  # loaded once, before any worker forks
    app = create_app(settings, dataset)
    if settings.workers <= 0:
        print(
            f"coopld serving {settings.out} on http://{settings.host}:{settings.port}/", flush=True
        )
        app.run(host=settings.host, port=settings.port, threaded=True, use_reloader=False)
        return

    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{settings.host}:{settings.port}",
                "workers": settings.workers,
                "preload_app": True,
                "accesslog": None,
                "timeout": max(30, int(settings.query_timeout * 4)),
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    _Gunicorn().run()
