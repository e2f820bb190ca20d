"""The base-IRI mapping: the data's canonical base vs. where the client stands.

The dataset is minted under ``settings.base`` (say ``https://data.example.org/coopld``)
but may be reached elsewhere (``http://127.0.0.1:5000`` in development, or a proxy).
Every IRI under the canonical base is shown to a client under the public base of its
request, and every IRI a client sends (a path, a SPARQL query) is mapped back, so
links work from where the client stands and SPARQL sees what documents say.

IRIs and URIs (RFC 3987 §3): the data holds IRIs (``…/place/zürich``); HTTP header
fields and request targets carry URIs (``…/place/z%C3%BCrich``). ``iri_to_uri`` and
``uri_to_iri`` convert between them, and ``request_iri`` reads the request target
byte-exactly, so an encoded slash (``%2F``) stays part of a key and never becomes
a path separator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote

import pyoxigraph as ox
from flask import current_app, request

__all__ = ["BaseMap", "base_map", "iri_to_uri", "request_iri", "uri_to_iri"]

# RFC 3986 unreserved, sub-delims, ":" "@" "/" "?" "#" "%" (an existing escape): kept as is
_URI_SAFE = "-._~!$&'()*+,;=:@/?#%[]"
_ESCAPE = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


@lru_cache(maxsize=4096)
def iri_to_uri(iri: str) -> str:
    """RFC 3987 §3.1: percent-encode (as UTF-8) what a URI cannot hold; ASCII stays."""
    if iri.isascii() and not re.search(r"[\x00-\x20\"<>\\^`{|}\x7f]", iri):
        return iri
    return quote(iri, safe=_URI_SAFE)


def _decode_escapes(match: re.Match[str]) -> str:
    """Decode escapes that stand for non-ASCII characters or unreserved ASCII (RFC 3986
    §6.2.2.2); any other escape (``%2F``, ``%20``, ``%25``...) stays, in upper case."""
    raw = bytes.fromhex(match.group(0).replace("%", ""))
    out: list[str] = []
    index = 0
    while index < len(raw):
        byte = raw[index]
        if byte < 0x80:
            char = chr(byte)
            out.append(char if char in _UNRESERVED else f"%{byte:02X}")
            index += 1
            continue
        length = (
            2
            if byte >> 5 == 0b110
            else 3
            if byte >> 4 == 0b1110
            else 4
            if byte >> 3 == 0b11110
            else 0
        )
        chunk = raw[index : index + length] if length else b""
        try:
            char = chunk.decode("utf-8") if len(chunk) == length and length else ""
        except UnicodeDecodeError:
            char = ""
        if char and char.isprintable():
            out.append(char)
            index += length
        else:
            out.append(f"%{byte:02X}")
            index += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def uri_to_iri(uri: str) -> str:
    """RFC 3987 §3.2: decode the escapes of UTF-8 characters; keep reserved ones encoded."""
    return _ESCAPE.sub(_decode_escapes, uri) if "%" in uri else uri


@dataclass(frozen=True)
class BaseMap:
    canonical: str  # no trailing slash
    public: str  # no trailing slash

    @property
    def identity(self) -> bool:
        return self.canonical == self.public

    def to_public(self, iri: str) -> str:
        if not self.identity and (iri == self.canonical or iri.startswith(self.canonical + "/")):
            return self.public + iri[len(self.canonical) :]
        return iri

    def to_canonical(self, iri: str) -> str:
        if not self.identity and (iri == self.public or iri.startswith(self.public + "/")):
            return self.canonical + iri[len(self.public) :]
        return iri

    def term_to_public(self, term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> object:
        """Map a pyoxigraph term (IRIs only; literals are left as they are)."""
        if self.identity or not isinstance(term, ox.NamedNode):
            return term
        return ox.NamedNode(self.to_public(term.value))

    def text_to_canonical(self, text: str) -> str:
        """Map public-base IRIs written in a query text (``<http://public/...>``) back."""
        if self.identity:
            return text
        return text.replace(f"<{self.public}/", f"<{self.canonical}/").replace(
            f"<{self.public}>", f"<{self.canonical}>"
        )

    def href(self, iri: str) -> str:
        """Where a client fetches ``iri`` (a canonical IRI): public, and a URI (ASCII)."""
        return iri_to_uri(self.to_public(iri))

    def is_local(self, iri: str) -> bool:
        """Is ``iri`` minted under the canonical base (so served by this app)?"""
        return iri == self.canonical or iri.startswith(self.canonical + "/")


def base_map() -> BaseMap:
    """The mapping for the current request."""
    settings = current_app.config["COOPLD_SETTINGS"]
    public = settings.public_base or (request.host_url.rstrip("/") + request.script_root)
    return BaseMap(settings.base, public.rstrip("/"))


def _raw_path() -> str | None:
    """The request target's path as the client sent it (still percent-encoded), app-relative."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        return None
    path = raw.split("?", 1)[0].split("#", 1)[0]
    if "://" in path[:10]:  # absolute-form request target (RFC 9112 §3.2.2)
        rest = path.split("://", 1)[1]
        path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    script = quote(request.script_root, safe=_URI_SAFE)
    if script and path.startswith(script):
        path = path[len(script) :]
    # the server decoded this very target into PATH_INFO; anything else is not ours
    return path if unquote(path) == request.path else None


def request_iri() -> str:
    """The canonical IRI a request addresses: canonical base + the path, as an IRI.

    The query string and fragment are not part of it. Dot-segments are not resolved:
    a path that tries to escape is just an IRI nothing is known about.
    """
    path = _raw_path()
    if path is None:  # no raw target from the server: re-encode the decoded path
        path = quote(request.path, safe=_URI_SAFE.replace("%", ""))
    base: str = current_app.config["COOPLD_SETTINGS"].base
    return base + uri_to_iri(path)
