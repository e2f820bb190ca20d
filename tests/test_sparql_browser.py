"""The SPARQL query page in a real headless Chromium (Debian's package, driven by Playwright).

Never downloads a browser: without ``chromium`` the tests skip on a laptop and fail in CI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture()
def page(chromium: Any, live_server: Callable[..., str]) -> Iterator[tuple[Any, str, list[str]]]:
    """A fresh page, the server's URL, and the problems seen (errors, dialogs, foreign requests)."""
    url = live_server()
    context = chromium.new_context()
    problems: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on(
        "console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None
    )
    tab.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            problems.append(f"foreign request: {route.request.url}")
            route.abort()

    tab.route("**/*", only_this_server)
    yield tab, url, problems
    context.close()


def test_an_example_query_runs_and_shows_rows(page: tuple[Any, str, list[str]]) -> None:
    tab, url, problems = page
    tab.goto(f"{url}/sparql")
    editor = tab.locator("#query")
    assert "SELECT" in editor.input_value()  # prefilled with an example
    tab.select_option("#example", "02-parties")
    assert "COUNT(DISTINCT ?agreement)" in editor.input_value()
    tab.click("#run")
    tab.wait_for_selector("table.results tbody tr")
    rows = tab.locator("table.results tbody tr")
    assert rows.count() > 0
    assert int(tab.locator("#row-count").inner_text()) == rows.count()
    assert tab.locator("table.results thead th").all_inner_texts() == [
        "?actor",
        "?name",
        "?agreements",
    ]
    link = tab.locator("table.results a.iri").first
    href = link.get_attribute("href")
    assert href is not None and href.startswith(f"{url}/id/")
    assert "?query=" in tab.url  # a short query is sent with GET: the address can be shared
    link.click()
    tab.wait_for_load_state()
    assert tab.url.startswith(f"{url}/doc/")  # the IRI led to its resource page
    assert problems == []


def test_keyboard_shortcut_long_queries_and_escaping(page: tuple[Any, str, list[str]]) -> None:
    tab, url, problems = page
    tab.goto(f"{url}/sparql")
    padding = "# " + "x" * 3000 + "\n"
    query = (
        padding
        + 'SELECT ?x WHERE { BIND ("<script>alert(1)</script><img src=x onerror=alert(2)>" AS ?x) }'
    )
    tab.fill("#query", query)
    tab.focus("#query")
    with tab.expect_navigation():
        tab.keyboard.press("Control+Enter")
    tab.wait_for_selector("table.results tbody tr")
    assert "?query=" not in tab.url  # too long for a shareable address: POSTed
    cell = tab.locator("table.results tbody td").first.inner_text()
    assert cell == "<script>alert(1)</script><img src=x onerror=alert(2)>"
    assert tab.locator("table.results script, table.results img").count() == 0
    assert problems == []


def test_errors_and_limits_are_shown_on_the_page(page: tuple[Any, str, list[str]]) -> None:
    tab, url, problems = page
    tab.goto(f"{url}/sparql")
    assert "10000 rows" in tab.locator("#limits").inner_text()
    tab.fill("#query", "SELECT * WHERE { ?s ?p }")
    tab.click("#run")
    tab.wait_for_selector("#error")
    assert "error at 1:" in tab.locator("#error").inner_text()
    assert tab.locator("#query").input_value() == "SELECT * WHERE { ?s ?p }"  # kept for fixing
    assert [p for p in problems if "400" not in p] == []  # the 400 itself is reported by Chromium
