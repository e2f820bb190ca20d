"""Content negotiation (RFC 9110 §12.5.1): the one function every view uses.

Order of decision: an explicit format (file extension or ``?format=``) wins when
it names a supported format; otherwise the Accept header's q-values decide, ties
broken by specificity (``text/turtle`` over ``text/*`` over ``*/*``) and then by
the server's preference order (the order of ``formats``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BadRequestError, NotAcceptableError
from ..formats import Format, by_extension, by_name

__all__ = ["MediaRange", "choose_format", "parse_accept", "wants_html"]


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


def _parse_q(value: str) -> float | None:
    try:
        q = float(value)
    except ValueError:
        return None
    return q if 0.0 <= q <= 1.0 else None


def parse_accept(header: str) -> list[MediaRange]:
    """Parse an Accept header; malformed members are skipped, as RFC 9110 allows."""
    ranges = []
    for member in header.split(","):
        parts = [p.strip() for p in member.split(";")]
        media = parts[0].lower()
        if media.count("/") != 1:
            continue
        main, sub = media.split("/")
        if not main or not sub or (main == "*" and sub != "*"):
            continue
        q = 1.0
        params: list[tuple[str, str]] = []
        valid = True
        for param in parts[1:]:
            if not param:
                continue
            name, _, value = param.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name == "q":
                parsed = _parse_q(value)
                if parsed is None:
                    valid = False
                    break
                q = parsed
                break  # accept-ext after q are ignored
            params.append((name, value.lower()))
        if valid:
            ranges.append(MediaRange(main, sub, q, tuple(params)))
    return ranges


def _quality(fmt: Format, ranges: list[MediaRange]) -> tuple[float, int]:
    """The q of the most specific range that matches ``fmt`` (RFC 9110 precedence)."""
    best: MediaRange | None = None
    for r in ranges:
        # parameters (charset, a JSON-LD profile) never exclude a format: each format is
        # served in one variant, UTF-8, and JSON-LD compacted with a context
        if r.matches(fmt.media_type) and (best is None or r.specificity > best.specificity):
            best = r
    if best is None:
        return 0.0, -1
    return best.q, best.specificity


def wants_html(accept: str | None) -> bool:
    """Does the client prefer HTML? (Browsers send text/html explicitly.)"""
    if not accept:
        return False
    html = ("text/html", "application/xhtml+xml")
    return any(f"{r.type}/{r.subtype}" in html and r.q > 0 for r in parse_accept(accept))


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
    ranges = parse_accept(accept)
    if not ranges:
        return formats[0]  # an unparseable Accept is treated as absent
    scored = [(_quality(f, ranges), -index, f) for index, f in enumerate(formats)]
    (q, _), _, fmt = max(scored, key=lambda item: (item[0][0], item[0][1], item[1]))
    if q <= 0:
        raise NotAcceptableError(
            f"none of the requested media types ({accept}) is available", supported
        )
    return fmt
