"""A real headless Chromium (Debian's package, driven by Playwright) reads the pages.

Never downloads a browser: without ``chromium`` on the PATH the tests skip on a laptop
and fail in CI (``CI`` set), where ``make test`` installs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from .test_web_live import first_agreement
from .webdata import XSS, make_dataset, write_build

pytestmark = [pytest.mark.browser, pytest.mark.live]


class Watched:
    """A page whose console errors, uncaught exceptions, failed requests and dialogs are kept."""

    def __init__(self, browser: Any, **options: Any) -> None:
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.page.on(
            "dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss())
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def watched(chromium: Any) -> Iterator[Callable[..., Watched]]:
    pages: list[Watched] = []

    def open_page(**options: Any) -> Watched:
        pages.append(Watched(chromium, **options))
        return pages[-1]

    yield open_page
    for page in pages:
        page.close()


def label_of(thing: str) -> str:
    graph = Graph().parse(thing.replace("/id/", "/doc/") + ".ttl", format="turtle")
    labels = {x.language: str(x) for x in graph.objects(URIRef(thing), RDFS.label)}
    return labels.get("en") or next(iter(labels.values()))


def test_a_resource_page_in_a_browser(
    live_server: Callable[..., str], watched: Callable[..., Watched]
) -> None:
    url = live_server()
    thing = first_agreement(url)
    view = watched()
    page = view.page
    response = page.goto(thing)  # the 303, then the HTML a browser negotiates
    assert response is not None and response.status == 200
    assert page.url == thing.replace("/id/", "/doc/")
    assert page.title() == f"{label_of(thing)} · coopld"
    assert page.locator("h1").inner_text() == label_of(thing)
    # a link to a related resource of this dataset, followed like a person would
    related = page.locator("section table.properties td a:not(.external)").first
    target_label = related.inner_text()
    related.click()
    page.wait_for_load_state()
    assert "/doc/" in page.url
    assert page.locator("h1").inner_text() == target_label
    assert view.problems == []


def test_keyboard_focus_is_visible_and_the_skip_link_works(
    live_server: Callable[..., str], watched: Callable[..., Watched]
) -> None:
    url = live_server()
    page = watched().page
    page.goto(first_agreement(url))
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_readable_on_a_phone(
    live_server: Callable[..., str], watched: Callable[..., Watched]
) -> None:
    url = live_server()
    view = watched(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = view.page
    page.goto(first_agreement(url))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "no sideways scrolling"
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 16
    assert view.problems == []


def test_a_hostile_label_stays_text_in_a_browser(
    live_server: Callable[..., str], watched: Callable[..., Watched], tmp_path: Path
) -> None:
    build = write_build(make_dataset("http://127.0.0.1:5000"), tmp_path / "dist")
    url = live_server("--out", str(build))
    view = watched()
    page = view.page
    page.goto(f"{url}/id/agreement/jap-test")
    assert page.locator("h1").inner_text() == f"Joint action plan {XSS}"
    assert page.evaluate("document.querySelectorAll('main script').length") == 0
    page.goto(f"{url}/def/coop#Agreement")
    assert page.locator("#Agreement h3").inner_text().startswith("Agreement")
    assert view.problems == [], "no alert dialog, no console error"
