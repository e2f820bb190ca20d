"""In-process caches for a static, versioned dataset: a bounded LRU, and a response cache.

The dataset never changes while a process serves it, so a response is a pure function
of the request line and the headers it was negotiated on. ``ResponseCache`` is WSGI
middleware that replays a response the app marked as cacheable (``mark_cacheable``)
to a later request that is identical in everything the response can depend on, without
entering Flask at all; conditional requests and HEAD are answered from the stored copy
exactly as the app answers them (``representation.not_modified``). Everything else goes
through the app untouched.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .representation import not_modified

__all__ = ["LRU", "ResponseCache", "drain", "mark_cacheable"]

K = TypeVar("K")
V = TypeVar("V")

CACHEABLE = "coopld.cacheable"

#: what a stored response may depend on (besides the method, GET or HEAD)
_KEY_FIELDS = (
    "PATH_INFO",
    "QUERY_STRING",
    "RAW_URI",
    "REQUEST_URI",
    "SCRIPT_NAME",
    "wsgi.url_scheme",
    "SERVER_NAME",
    "SERVER_PORT",
    "HTTP_HOST",
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)
#: a 304 repeats these of the 200 it stands for (RFC 9110 §15.4.5), CORS aside
_NOT_MODIFIED_FIELDS = frozenset(
    {"cache-control", "content-location", "etag", "expires", "vary", "x-content-type-options"}
)


class LRU(Generic[K, V]):
    """A thread-safe least-recently-used map bounded by entries and by total size."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._data: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: K) -> V | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: K, value: V, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[key] = (value, size)
            self._bytes += size
            while len(self._data) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._data.popitem(last=False)
                self._bytes -= dropped

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0


def mark_cacheable(environ: dict[str, Any]) -> None:
    """Tell ``ResponseCache`` that the response to this request may be replayed."""
    environ[CACHEABLE] = True


@dataclass(frozen=True)
class _Stored:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None
    last_modified: str | None


StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ResponseCache:
    """WSGI middleware replaying responses marked cacheable; bounded by entries and bytes."""

    def __init__(self, app: WSGIApp, max_entries: int = 4096, max_bytes: int = 16 << 20) -> None:
        self.app = app
        self.lru: LRU[tuple[str, ...], _Stored] = LRU(max_entries, max_bytes)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        key = tuple(str(environ.get(name, "")) for name in _KEY_FIELDS)
        stored = self.lru.get(key)
        if stored is not None:
            return self._replay(stored, environ, start_response, head=method == "HEAD")
        if method == "HEAD":
            return self.app(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        status = str(captured.get("status", ""))
        if not environ.get(CACHEABLE) or not status.startswith(("200", "303")):
            return result
        body = drain(result)
        headers = captured["headers"]
        lookup = {name.lower(): value for name, value in headers}
        stored = _Stored(status, headers, body, lookup.get("etag"), lookup.get("last-modified"))
        self.lru.put(key, stored, len(body) + 64 * len(headers) + 256)
        return [body]

    def _replay(
        self,
        stored: _Stored,
        environ: dict[str, Any],
        start_response: StartResponse,
        head: bool,
    ) -> Iterable[bytes]:
        if stored.status.startswith("200") and not_modified(
            environ.get("HTTP_IF_NONE_MATCH"),
            environ.get("HTTP_IF_MODIFIED_SINCE"),
            stored.etag,
            stored.last_modified,
        ):
            headers = [
                (name, value)
                for name, value in stored.headers
                if name.lower() in _NOT_MODIFIED_FIELDS
                or name.lower().startswith("access-control-")
            ]
            start_response("304 NOT MODIFIED", headers)
            return []
        start_response(stored.status, stored.headers)
        return [] if head else [stored.body]


def drain(result: Iterable[bytes]) -> bytes:
    """A WSGI response body read whole, and closed as PEP 3333 asks."""
    try:
        return b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
