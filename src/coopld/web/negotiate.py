"""Content negotiation (RFC 9110 §12.5): the one place a representation is chosen.

Order of decision: an explicit format (file extension or ``?format=``) wins when
it names a supported format; otherwise the Accept header's q-values decide, ties
broken by specificity (``text/turtle`` over ``text/*`` over ``*/*``) and then by
the server's preference order (the order of ``formats``). A format's media-type
aliases (``text/plain`` for N-Triples, ``application/json`` for JSON-LD) select it
when named exactly; responses always carry the registered type. ``choose_language`` does
the same for Accept-Language (RFC 9110 §12.5.4, RFC 4647 lookup).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..errors import BadRequestError, NotAcceptableError
from ..formats import Format, by_extension, by_name

__all__ = [
    "MediaRange",
    "choose_format",
    "choose_language",
    "parse_accept",
    "parse_weighted",
    "wants_html",
]

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# RFC 9110 §12.4.2 allows 0, 1 and at most three decimals; a missing leading zero
# (``q=.5``, sent by old Java clients) is read too, being unambiguous
_QVALUE = re.compile(r"^(?:0?\.[0-9]{1,3}|0\.?|1(?:\.0{0,3})?)$")


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    params: tuple[tuple[str, str], ...]

    @property
    def specificity(self) -> int:
        if self.type == "*":
            return 0
        if self.subtype == "*":
            return 1
        return 2 + len(self.params)

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return True
        if self.type != main:
            return False
        return self.subtype in ("*", sub)

    def names(self, fmt: Format) -> bool:
        """Does this range match ``fmt``: its media type, or exactly one of its aliases?"""
        if self.matches(fmt.media_type):
            return True
        return self.subtype != "*" and f"{self.type}/{self.subtype}" in fmt.media_aliases


def _split(header: str, separator: str) -> list[str]:
    """Split on ``separator`` outside quoted strings (RFC 9110 §5.6.4, backslash escapes)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in header:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _parse_q(value: str) -> float | None:
    """An RFC 9110 §12.4.2 qvalue (0 to 1, at most three decimals), or None."""
    return float(value) if _QVALUE.match(value) else None


@lru_cache(maxsize=512)
def _parse_accept_cached(header: str) -> tuple[MediaRange, ...]:
    ranges = []
    for member in _split(header, ","):
        parts = [p.strip() for p in _split(member, ";")]
        media = parts[0].lower()
        if media == "*":  # a common sloppiness (old Java clients): read as */*
            media = "*/*"
        main, slash, sub = media.partition("/")
        if not slash or not _TOKEN.match(main) or not _TOKEN.match(sub):
            continue  # not a media range: skipped, as RFC 9110 §5.5 lets a recipient do
        if main == "*" and sub != "*":
            continue
        q = 1.0
        params: list[tuple[str, str]] = []
        valid = True
        for param in parts[1:]:
            if not param:
                continue
            name, _, value = param.partition("=")
            name, value = name.strip().lower(), value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            if name == "q":
                parsed = _parse_q(value)
                if parsed is None:
                    valid = False
                q = parsed or 0.0
                break  # accept-ext after the weight are ignored
            params.append((name, value.lower() if name == "charset" else value))
        if valid:
            ranges.append(MediaRange(main, sub, q, tuple(params)))
    return tuple(ranges)


def parse_accept(header: str) -> list[MediaRange]:
    """Parse an Accept header; malformed members are skipped, as RFC 9110 allows."""
    return list(_parse_accept_cached(header))


def _quality(fmt: Format, ranges: tuple[MediaRange, ...]) -> tuple[float, int]:
    """The q of the most specific range that matches ``fmt`` (RFC 9110 §12.5.1 precedence)."""
    best: MediaRange | None = None
    for r in ranges:
        if not r.names(fmt):
            continue
        # a charset other than UTF-8 excludes the range: every variant is UTF-8. Other
        # parameters (a JSON-LD profile, a level) do not: each format has one variant.
        charset = dict(r.params).get("charset")
        if charset is not None and charset not in ("utf-8", "utf8") and fmt.text:
            continue
        if best is None or r.specificity > best.specificity:
            best = r
    if best is None:
        return 0.0, -1
    return best.q, best.specificity


def wants_html(accept: str | None) -> bool:
    """Does the client prefer HTML? (Browsers send text/html explicitly.)"""
    if not accept:
        return False
    html = ("text/html", "application/xhtml+xml")
    return any(f"{r.type}/{r.subtype}" in html and r.q > 0 for r in _parse_accept_cached(accept))


def choose_format(
    accept: str | None,
    formats: tuple[Format, ...],
    *,
    explicit: str | None = None,
    explicit_is_extension: bool = False,
) -> Format:
    """Pick the representation to send.

    ``formats`` is in server preference order; its first entry is what a client that
    sends no Accept header (or only ``*/*``) receives. ``explicit`` is a ``?format=``
    short name or a file extension; an unknown one is a 400, never a silent fallback.
    """
    supported = [f.media_type for f in formats]
    if explicit is not None:
        found = (
            by_extension(explicit, formats) if explicit_is_extension else by_name(explicit, formats)
        )
        if found is None:
            names = (
                ", ".join("." + f.extension for f in formats)
                if explicit_is_extension
                else ", ".join(f.name for f in formats)
            )
            what = "extension" if explicit_is_extension else "format"
            raise BadRequestError(
                f"unknown {what} {explicit!r}", hint=f"supported: {names}", status=400
            )
        return found
    if accept is None or not accept.strip():
        return formats[0]
    ranges = _parse_accept_cached(accept)
    if not ranges:
        return formats[0]  # an Accept with no valid member is treated as absent (RFC 9110 §5.5)
    best: tuple[float, int, int] | None = None
    chosen = formats[0]
    for index, fmt in enumerate(formats):
        q, specificity = _quality(fmt, ranges)
        score = (q, specificity, -index)
        if best is None or score > best:
            best, chosen = score, fmt
    if best is None or best[0] <= 0:
        raise NotAcceptableError(
            f"none of the requested media types ({accept}) is available", supported
        )
    return chosen


# -- languages --------------------------------------------------------------------------------

_LANGUAGE_RANGE = re.compile(r"^(?:\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$")


@lru_cache(maxsize=512)
def parse_weighted(header: str) -> tuple[tuple[str, float], ...]:
    """Members of a weighted list (Accept-Language, Accept-Encoding), highest q first.

    Invalid members are skipped; among equal weights the header's order is kept.
    """
    members: list[tuple[float, int, str]] = []
    for index, member in enumerate(header.split(",")):
        value, *params = (p.strip() for p in member.split(";"))
        if not value:
            continue
        q: float | None = 1.0
        for param in params:
            name, _, raw = param.partition("=")
            if name.strip().lower() == "q":
                q = _parse_q(raw.strip())
        if q is None:
            continue
        members.append((-q, index, value.lower()))
    members.sort()
    return tuple((value, -neg_q) for neg_q, _, value in members)


def choose_language(accept_language: str | None, available: tuple[str, ...], default: str) -> str:
    """The best of ``available`` (lowercase tags) for Accept-Language, else ``default``.

    RFC 4647 §3.4 lookup (``de-ch`` falls back to ``de``), then basic filtering (``en``
    also matches ``en-gb``); ``*`` means the default. A range with q=0 excludes its tags.
    """
    if not accept_language:
        return default
    ranges = [(r, q) for r, q in parse_weighted(accept_language) if _LANGUAGE_RANGE.match(r)]
    excluded = {r for r, q in ranges if q == 0}
    for wanted, q in ranges:
        if q == 0:
            continue
        if wanted == "*":
            return (
                default
                if default not in excluded
                else next((t for t in available if t not in excluded), default)
            )
        tag = wanted
        while tag:
            if tag in available and tag not in excluded:
                return tag
            tag = tag.rpartition("-")[0]
        for tag in available:
            if tag.startswith(wanted + "-") and tag not in excluded:
                return tag
    return default
