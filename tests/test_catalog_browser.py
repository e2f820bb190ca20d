"""The landing page, the catalogue page and a download in a real headless Chromium.

Debian's ``chromium`` driven by Playwright, against ``coopld serve`` on a free port. Never
downloads a browser: without ``chromium`` on the PATH the tests skip on a laptop and fail
under CI (``CI`` set).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture()
def page(chromium: Any) -> Iterator[Any]:
    """A fresh page that records console errors, page errors and failed requests."""
    context = chromium.new_context(accept_downloads=True)
    tab = context.new_page()
    tab.problems = []
    tab.on(
        "console",
        lambda m: tab.problems.append(f"console: {m.text}") if m.type == "error" else None,
    )
    tab.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    tab.on("requestfailed", lambda r: tab.problems.append(f"failed: {r.url}"))
    tab.on("dialog", lambda d: (tab.problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield tab
    context.close()


def test_the_landing_page_tells_a_person_what_the_dataset_is(
    live_server: Callable[..., str], page: Any, dataset: Any
) -> None:
    url = live_server()
    response = page.goto(url + "/")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    title = page.locator("h1").inner_text()
    assert page.title() == f"{title} · coopld"
    assert page.locator("#count-triples").inner_text() == str(dataset.manifest["triples"])
    for kind, n in dataset.manifest["counts"].items():
        row = page.locator("table.kinds tr", has=page.locator(f"th:text-is('{kind}')"))
        assert row.locator("td").inner_text() == str(n)
    # the curl lines use the address this browser used
    commands = page.locator("dl.commands code").all_inner_texts()
    assert commands and all(url in c for c in commands)
    assert page.problems == []


def test_search_engines_find_a_schema_org_dataset(
    live_server: Callable[..., str], page: Any, dataset: Any
) -> None:
    url = live_server()
    page.goto(url + "/")
    schema = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert schema["@type"] == "Dataset"
    assert schema["url"] == url + "/"
    assert schema["includedInDataCatalog"]["url"] == url + "/catalog"
    assert {d["contentUrl"] for d in schema["distribution"]} == {
        f"{url}/dumps/{name}" for name in dataset.manifest["files"]
    }
    assert schema["name"] == page.locator("h1").inner_text()


def test_from_the_landing_page_to_the_catalogue_and_a_checked_download(
    live_server: Callable[..., str], page: Any, dataset: Any, tmp_path: Path
) -> None:
    url = live_server()
    page.goto(url + "/")
    page.get_by_role("link", name="DCAT-AP catalogue").first.click()
    page.wait_for_load_state()
    assert page.url == url + "/catalog"
    rows = page.locator("table.dumps tbody tr")
    assert rows.count() == len(dataset.manifest["files"])
    gz = rows.filter(has=page.locator("a", has_text="coopld.nt.gz"))
    shown = gz.locator("code.checksum").inner_text()
    with page.expect_download() as caught:
        gz.locator("a").click()
    download = caught.value
    assert download.suggested_filename == "coopld.nt.gz"
    saved = tmp_path / "coopld.nt.gz"
    download.save_as(saved)
    # the browser saved the gzip file itself (no Content-Encoding to undo), so it checks out
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == shown
    assert shown == dataset.manifest["files"]["coopld.nt.gz"]["sha256"]
    assert page.problems == []


def test_the_examples_and_the_void_page_are_one_click_away(
    live_server: Callable[..., str], page: Any
) -> None:
    url = live_server()
    page.goto(url + "/")
    example = page.locator("ul.examples a").first
    label = example.inner_text()
    example.click()  # the thing's IRI: 303 to its page, which a browser gets as HTML
    page.wait_for_load_state()
    assert "/doc/" in page.url
    assert page.locator("h1").inner_text() == label
    page.goto(url + "/")
    page.locator("ul.queries a").first.click()  # an example query, run by the endpoint
    page.wait_for_load_state()
    assert page.url.startswith(url + "/sparql?query=")
    page.goto(url + "/")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="VoID").click()
    page.wait_for_load_state()
    assert page.url == url + "/.well-known/void"
    assert page.locator("h1").inner_text().startswith("VoID description")
    assert page.problems == []
