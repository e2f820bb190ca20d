"""Sending a representation: validators, conditional requests, compression, links.

RFC 9110 throughout: a strong ``ETag`` per representation, derived from the dataset
version and everything the bytes depend on (never from the clock); the gzip-coded
variant is another representation, so it has another strong tag (§8.8.3);
``If-None-Match`` (weak comparison, §13.1.2) takes precedence over
``If-Modified-Since`` (§13.1.3); a 304 repeats only the fields §15.4.5 lists.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from flask import Response, request

from ..errors import BadRequestError, NotAcceptableError
from ..formats import Format, by_extension, by_name
from .errors import error_response
from .negotiate import choose_format, parse_weighted

__all__ = [
    "Link",
    "Representation",
    "accepts_gzip",
    "choose",
    "explicit_format",
    "http_date",
    "link_header",
    "make_etag",
    "not_modified",
    "send",
    "validator_fields",
]

#: bodies smaller than this are sent as they are: gzip would not make them smaller
MIN_GZIP_BYTES = 256
_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


class Representation:
    """Bytes of one representation and their strong entity tag; gzip made once, on demand."""

    __slots__ = ("_gzipped", "body", "etag")

    def __init__(self, body: bytes, etag: str) -> None:
        self.body = body
        self.etag = etag
        self._gzipped: bytes | None = None

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            # mtime=0: the same bytes every time, as a strong validator requires
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped

    @property
    def size(self) -> int:
        return len(self.body) + len(self._gzipped or b"")


def make_etag(*parts: str) -> str:
    """A strong entity tag from the things the representation's bytes depend on."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f'"{digest}"'


def _gzip_etag(etag: str) -> str:
    return etag[:-1] + '-gzip"'


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _parse_http_date(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


def _entity_tags(header: str) -> list[str] | None:
    """The opaque tags of an If-None-Match list (weak ones too), or None if malformed."""
    tags: list[str] = []
    position = 0
    header = header.strip()
    while position < len(header):
        match = _ENTITY_TAG.match(header, position)
        if match is None:
            return None
        tags.append(match.group(2))
        position = match.end()
    return tags


def not_modified(
    if_none_match: str | None,
    if_modified_since: str | None,
    etag: str | None,
    last_modified: str | None,
) -> bool:
    """Should a GET or HEAD be answered 304? (RFC 9110 §13.2.2 steps 3 and 4.)"""
    if if_none_match is not None and if_none_match.strip():
        if etag is None:
            return False
        if if_none_match.strip() == "*":
            return True
        tags = _entity_tags(if_none_match)
        opaque = etag.removeprefix("W/").strip('"')
        return tags is not None and opaque in tags
    if if_modified_since and last_modified:
        since = _parse_http_date(if_modified_since)
        modified = _parse_http_date(last_modified)
        if since is not None and modified is not None:
            return modified <= since
    return False


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Does Accept-Encoding allow gzip (named with q > 0, or ``*`` with q > 0)?"""
    if not accept_encoding:
        return False
    members = dict(parse_weighted(accept_encoding))
    for name in ("gzip", "x-gzip"):
        if name in members:
            return members[name] > 0
    return members.get("*", 0) > 0


Link = tuple[str, str, str | None, str | None]


def link_header(links: Iterable[Link]) -> str:
    """RFC 8288 Link field value from (URI, rel, type, title) tuples."""
    parts = []
    for uri, rel, media_type, title in links:
        part = f'<{uri}>; rel="{rel}"'
        if media_type:
            part += f'; type="{media_type}"'
        if title:
            part += f'; title="{title}"'
        parts.append(part)
    return ", ".join(parts)


def send(
    representation: Representation,
    content_type: str,
    *,
    last_modified: datetime,
    max_age: int,
    vary: Sequence[str] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    """The response for a representation: 200, or 304 when the client's copy is current.

    Text is gzip-coded when the client allows it; ``Vary`` then names Accept-Encoding.
    HEAD gets the same fields as GET (the WSGI layer drops the body).
    """
    from .cache import mark_cacheable

    compress, fields = validator_fields(
        representation, request.headers.get("Accept-Encoding"), max_age, vary, headers or {}
    )
    modified = http_date(last_modified)
    if not_modified(
        request.headers.get("If-None-Match"),
        request.headers.get("If-Modified-Since"),
        fields["ETag"],
        modified,
    ):
        return Response(status=304, headers=fields)
    body = representation.gzipped() if compress else representation.body
    response = Response(body, status=200, content_type=content_type)
    response.headers.update(headers or {})
    response.headers.update(fields)
    response.headers["Last-Modified"] = modified
    if compress:
        response.headers["Content-Encoding"] = "gzip"
    mark_cacheable(request.environ)
    return response


def validator_fields(
    representation: Representation,
    accept_encoding: str | None,
    max_age: int,
    vary: Sequence[str],
    extra: dict[str, str],
) -> tuple[bool, dict[str, str]]:
    """Whether to gzip, and the fields a 200 and a 304 share (RFC 9110 §15.4.5)."""
    compress = len(representation.body) >= MIN_GZIP_BYTES and accepts_gzip(accept_encoding)
    fields = {
        "ETag": _gzip_etag(representation.etag) if compress else representation.etag,
        "Vary": ", ".join([*vary, "Accept-Encoding"]),
        "Cache-Control": f"public, max-age={max_age}",
    }
    if "Content-Location" in extra:
        fields["Content-Location"] = extra["Content-Location"]
    return compress, fields


def choose(
    formats: tuple[Format, ...],
    variants: list[tuple[Format, str]],
    explicit: str | None = None,
    extension: bool = False,
) -> Format | Response:
    """``choose_format`` for this request, or the 406 that lists every variant's URL.

    RFC 9110 §15.5.7: a 406 should say what is available and where; the body's hint and
    the ``Link`` alternates both do.
    """
    try:
        return choose_format(
            request.headers.get("Accept"),
            formats,
            explicit=explicit,
            explicit_is_extension=extension,
        )
    except NotAcceptableError as exc:
        hint = "available: " + ", ".join(f"{f.media_type} <{uri}>" for f, uri in variants)
        links = link_header((uri, "alternate", f.media_type, f.label) for f, uri in variants)
        return error_response(406, exc.message, hint, {"Vary": "Accept", "Link": links})


def explicit_format(extension: str | None, formats: tuple[Format, ...]) -> tuple[str | None, bool]:
    """What the request names, if anything: the URL's extension, else ``?format=``.

    Returns (name, is_extension) for ``choose``. Both present and naming different
    formats is the client's contradiction: 400.
    """
    named = request.args.get("format")
    if extension is None:
        return named, False
    if named is not None:
        by_parameter = by_name(named, formats)
        if by_parameter is not None and by_parameter is not by_extension(extension, formats):
            raise BadRequestError(
                f"?format={named} contradicts the .{extension} extension",
                hint="name one format, or none and let Accept decide",
            )
    return extension, True
