"""Content negotiation as a table: real clients' Accept headers, q-values, wildcards, junk.

The format list is the one documents offer (Turtle first: what a client that accepts
anything gets). Each row names the format chosen, or 406.
"""

from __future__ import annotations

import pytest

from coopld.errors import BadRequestError, NotAcceptableError
from coopld.formats import HTML, JSONLD, NQUADS, NTRIPLES, RDFXML, TRIG, TURTLE, Format
from coopld.web.negotiate import choose_format, choose_language, parse_accept, wants_html
from coopld.web.representation import accepts_gzip, not_modified
from coopld.web.resources import DOC_FORMATS

CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SAFARI = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
OLD_WEBKIT = (
    "application/xml,application/xhtml+xml,text/html;q=0.9,text/plain;q=0.8,image/png,*/*;q=0.5"
)
IE8 = (
    "image/jpeg, application/x-ms-application, image/gif, application/xaml+xml, image/pjpeg, "
    "application/x-ms-xbap, */*"
)
JAVA = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"
RDFLIB_ANY = (
    "application/rdf+xml, text/n3, text/turtle, application/n-triples, application/ld+json, "
    "application/n-quads, application/trix, application/trig"
)
NOT_ACCEPTABLE = None

TABLE: list[tuple[str, str | None, Format | None]] = [
    # (what, Accept, expected)
    ("no Accept header", None, TURTLE),
    ("empty Accept", "", TURTLE),
    ("curl", "*/*", TURTLE),
    ("Chrome", CHROME, HTML),
    ("Firefox", FIREFOX, HTML),
    ("Safari", SAFARI, HTML),
    ("old WebKit prefers XML but only HTML matches", OLD_WEBKIT, HTML),
    ("IE8 sends images and */*", IE8, TURTLE),
    ("old Java with q=.2", JAVA, HTML),
    ("rdflib without a format", RDFLIB_ANY, TURTLE),
    ("rdflib format=nt", "text/plain, */*;q=0.1", NTRIPLES),
    ("rdflib format=n3", "text/n3, */*;q=0.1", TURTLE),
    ("rdflib format=json-ld", "application/ld+json, application/json;q=0.9, */*;q=0.1", JSONLD),
    ("axios", "application/json, text/plain, */*", JSONLD),
    ("Turtle", "text/turtle", TURTLE),
    ("Turtle with UTF-8", "text/turtle; charset=UTF-8", TURTLE),
    ("Turtle, old name", "application/x-turtle", TURTLE),
    ("JSON-LD", "application/ld+json", JSONLD),
    (
        "JSON-LD with a profile",
        'application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"',
        JSONLD,
    ),
    ("N-Triples", "application/n-triples", NTRIPLES),
    ("RDF/XML", "application/rdf+xml", RDFXML),
    ("TriG", "application/trig", TRIG),
    ("N-Quads", "application/n-quads", NQUADS),
    ("HTML", "text/html", HTML),
    ("case does not matter", "TEXT/Turtle", TURTLE),
    ("higher q wins", "text/turtle;q=0.5, application/ld+json", JSONLD),
    ("higher q wins, reversed", "application/ld+json;q=0.5, text/turtle;q=0.9", TURTLE),
    ("equal q: server order", "application/rdf+xml, application/ld+json", JSONLD),
    ("text/*: the first text format", "text/*", TURTLE),
    ("application/*: the first application format", "application/*", JSONLD),
    ("exact beats a wildcard at equal q", "application/*;q=0.5, text/html;q=0.5", HTML),
    ("q=0 excludes despite */*", "*/*;q=0.1, text/turtle;q=0", JSONLD),
    ("q=0 on the type, wildcard elsewhere", "text/html;q=0, text/*", TURTLE),
    (
        "a quoted comma does not split the list",
        'application/ld+json;profile="a,b";q=0.1, text/turtle;q=0.5',
        TURTLE,
    ),
    ("spaces everywhere", " text/html ; q=0.2 ,  application/n-triples ; q=0.9 ", NTRIPLES),
    ("junk is treated as absent", "garbage", TURTLE),
    ("a bad q drops the member", "text/html;q=abc, application/rdf+xml;q=0.3", RDFXML),
    ("only a bad member: as absent", "text/html;q=2", TURTLE),
    ("an image only", "image/png", NOT_ACCEPTABLE),
    ("plain XML is not RDF/XML", "application/xml", NOT_ACCEPTABLE),
    ("every type refused", "text/turtle;q=0", NOT_ACCEPTABLE),
    ("a charset we do not send", "text/turtle;charset=iso-8859-1", NOT_ACCEPTABLE),
    ("*/* refused", "*/*;q=0", NOT_ACCEPTABLE),
]


@pytest.mark.parametrize(
    ("accept", "expected"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE]
)
def test_negotiation_table(accept: str | None, expected: Format | None) -> None:
    if expected is NOT_ACCEPTABLE:
        with pytest.raises(NotAcceptableError) as caught:
            choose_format(accept, DOC_FORMATS)
        assert caught.value.status == 406
        assert "text/turtle" in (caught.value.hint or "")
    else:
        assert choose_format(accept, DOC_FORMATS) is expected


@pytest.mark.parametrize(
    ("explicit", "extension", "expected"),
    [
        ("ttl", False, TURTLE),
        ("turtle", False, TURTLE),
        ("text/turtle", False, TURTLE),
        ("jsonld", False, JSONLD),
        ("JSON-LD", False, JSONLD),
        ("nt", False, NTRIPLES),
        ("xml", False, RDFXML),
        ("nq", False, NQUADS),
        ("html", False, HTML),
        ("ttl", True, TURTLE),
        ("jsonld", True, JSONLD),
        ("rdf", True, RDFXML),
        ("trig", True, TRIG),
        ("html", True, HTML),
    ],
)
def test_an_explicit_format_overrides_accept(
    explicit: str, extension: bool, expected: Format
) -> None:
    chosen = choose_format(
        "image/png", DOC_FORMATS, explicit=explicit, explicit_is_extension=extension
    )
    assert chosen is expected


@pytest.mark.parametrize(("explicit", "extension"), [("csv", False), ("yaml", True), ("", False)])
def test_an_unknown_explicit_format_is_a_400_never_a_fallback(
    explicit: str, extension: bool
) -> None:
    with pytest.raises(BadRequestError) as caught:
        choose_format(
            "text/turtle", DOC_FORMATS, explicit=explicit, explicit_is_extension=extension
        )
    assert caught.value.status == 400
    assert (".ttl" if extension else "turtle") in (caught.value.hint or "")


def test_parse_accept_reads_parameters_and_weights() -> None:
    ranges = parse_accept('text/html;level=1;q=0.5, application/ld+json;profile="x;y", *')
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "html", 0.5),
        ("application", "ld+json", 1.0),
        ("*", "*", 1.0),
    ]
    assert ranges[0].params == (("level", "1"),)
    assert ranges[1].params == (("profile", "x;y"),)


def test_wants_html_only_when_html_is_acceptable() -> None:
    assert wants_html(CHROME)
    assert not wants_html("*/*")
    assert not wants_html("text/html;q=0, */*")
    assert not wants_html(None)


LANGUAGES = ("en", "fr", "de")


@pytest.mark.parametrize(
    ("header", "available", "expected"),
    [
        (None, LANGUAGES, "en"),
        ("fr", LANGUAGES, "fr"),
        ("fr-CH, fr;q=0.9, en;q=0.8", LANGUAGES, "fr"),
        ("de-AT", LANGUAGES, "de"),
        ("it, de;q=0.5", LANGUAGES, "de"),
        ("fr;q=0.5, de;q=0.9", LANGUAGES, "de"),
        ("zh", LANGUAGES, "en"),
        ("*", LANGUAGES, "en"),
        ("en;q=0, *", LANGUAGES, "fr"),
        ("en", ("en-gb", "fr"), "en-gb"),
        ("fr;q=bad, de", LANGUAGES, "de"),
        ("!!!", LANGUAGES, "en"),
    ],
)
def test_label_language_follows_accept_language(
    header: str | None, available: tuple[str, ...], expected: str
) -> None:
    assert choose_language(header, available, "en") == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("*", True),
        ("*;q=0", False),
        ("x-gzip", True),
    ],
)
def test_gzip_only_when_the_client_allows_it(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


ETAG = '"abc"'
MODIFIED = "Sun, 22 Nov 2026 06:00:00 GMT"


@pytest.mark.parametrize(
    ("if_none_match", "if_modified_since", "expected"),
    [
        (None, None, False),
        ('"abc"', None, True),
        ('W/"abc"', None, True),  # If-None-Match compares weakly (RFC 9110 §13.1.2)
        ('"x", "abc"', None, True),
        ('"x", "y"', None, False),
        ("*", None, True),
        ('"abc-gzip"', None, False),
        ("garbage", None, False),
        (None, MODIFIED, True),
        (None, "Sun, 22 Nov 2026 07:00:00 GMT", True),
        (None, "Sun, 22 Nov 2026 05:59:59 GMT", False),
        (None, "not a date", False),
        ('"x"', MODIFIED, False),  # If-None-Match wins over If-Modified-Since
    ],
)
def test_conditional_requests(
    if_none_match: str | None, if_modified_since: str | None, expected: bool
) -> None:
    assert not_modified(if_none_match, if_modified_since, ETAG, MODIFIED) is expected
