"""`cabructl docs` opened in a real headless browser, as a person would read it.

Debian's Chromium (/usr/bin/chromium) driven by Playwright, from file:// as the site is meant to
be opened: every page loads without a console error and fetches nothing but its own files, every
link resolves, the routing diagram is visible and its nodes lead to their pages, and user text
stays text. A screenshot of the index is kept in artifacts/catalogue/ (git-ignored).
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import pytest
from click.testing import CliRunner

from cabructl.cli import cli
from support import ROOT, TOPOLOGY

CHROMIUM = "/usr/bin/chromium"
TRICKY = Path(__file__).resolve().parent / "fixtures" / "tricky" / "topology.yaml"
ALL_TARGETS = ROOT / "examples" / "all-targets.yaml"
ARTIFACTS = ROOT / "artifacts" / "catalogue"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

if not os.path.exists(CHROMIUM):
    pytest.skip(f"no browser: {CHROMIUM} is not installed (apt-get install chromium chromium-driver)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[test]')")


def build(tmp: Path, topology: Path, *args: str) -> Path:
    site = tmp / "site"
    result = CliRunner().invoke(cli, ["docs", "-f", str(topology), "-o", str(site), *args])
    assert result.exit_code == 0, result.output
    return site


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Chromium for the module, with a fresh profile; never downloads a browser of its own."""
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def cabruca_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("cabruca"), TOPOLOGY)


class Visit:
    """One page opened: what it logged, what it asked for, and its links."""

    def __init__(self, context: Any, url: str) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = context.new_page()
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", lambda dialog: (self.errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfailed", lambda request: self.errors.append(f"failed: {request.url}"))
        self.page.goto(url, wait_until="load")
        # SVG links included: every <a> of the document, HTML or SVG.
        self.links: list[str] = self.page.eval_on_selector_all("a", "nodes => nodes.map(n => n.getAttribute('href'))")

    def close(self) -> None:
        self.page.close()


def crawl(context: Any, site: Path) -> dict[str, Visit]:
    """Every page reachable from the index, by following its links; each visit kept open to inspect."""
    start = (site / "index.html").as_uri()
    visits: dict[str, Visit] = {}
    queue = deque([start])
    while queue:
        url = queue.popleft()
        if url in visits:
            continue
        visit = visits[url] = Visit(context, url)
        for href in visit.links:
            assert href, f"{url}: an <a> without href"
            target, fragment = urldefrag(urljoin(url, href))
            assert urlparse(target).scheme == "file", f"{url}: link {href} leaves the site"
            path = Path(unquote(urlparse(target).path))
            assert path.is_file(), f"{url}: link {href} goes nowhere"
            assert site in path.parents, f"{url}: link {href} leaves the site"
            if fragment:
                assert f'id="{fragment}"' in path.read_text(encoding="utf-8"), f"{url}: no #{fragment} in {path.name}"
            queue.append(target)
    return visits


@pytest.mark.parametrize("topology", [TOPOLOGY, ALL_TARGETS], ids=["cabruca", "all-targets"])
def test_every_page_loads_cleanly_and_every_link_resolves(browser: Any, tmp_path: Path, topology: Path) -> None:
    site = build(tmp_path, topology)
    visits = crawl(browser, site)
    try:
        pages = {Path(unquote(urlparse(url).path)).name for url in visits}
        assert pages == {path.name for path in site.glob("*.html")}, "every page is linked from somewhere"
        for url, visit in visits.items():
            assert visit.errors == [], (url, visit.errors)
            assert all(request.startswith("file://") for request in visit.requests), (url, visit.requests)
            assert visit.page.locator("h1").is_visible(), url
            assert visit.page.evaluate("getComputedStyle(document.body).margin") == "0px", f"{url}: stylesheet not applied"
    finally:
        for visit in visits.values():
            visit.close()


def test_the_routing_diagram_is_visible_and_each_node_opens_its_page(browser: Any, cabruca_site: Path) -> None:
    visit = Visit(browser, (cabruca_site / "index.html").as_uri())
    try:
        diagram = visit.page.locator("svg.routing")
        diagram.scroll_into_view_if_needed()
        assert diagram.is_visible()
        box = diagram.bounding_box()
        assert box is not None and box["width"] > 600 and box["height"] > 200
        nodes = dict(visit.page.eval_on_selector_all(
            "svg.routing a.node", "nodes => nodes.map(n => [n.dataset.node, n.getAttribute('href')])"))
        assert nodes["agent:monitor"] == "agent-monitor.html"
        assert nodes["rule:critical-issues"] == "rule-critical-issues.html"
        assert nodes["dlq:critical-events-dlq"] == "dlq-critical-events-dlq.html"
        assert {"agent:monitor", "agent:tester", "bus", "rule:failed-tests", "target:topic.critical-alerts",
                "dlq:eventbridge-dlq"} <= set(nodes)
        for node, heading in (("rule:critical-issues", "Rule critical-issues"), ("agent:monitor", "Agent monitor"),
                              ("target:queue.product-requests", "Target cabruca-segmentation-prod-product-requests")):
            visit.page.goto((cabruca_site / "index.html").as_uri())
            link = visit.page.locator(f'svg.routing a.node[data-node="{node}"]')
            assert link.is_visible()
            link.click()
            visit.page.wait_for_load_state("load")
            assert visit.page.locator("h1").inner_text() == heading
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        visit.page.goto((cabruca_site / "index.html").as_uri())
        screenshot = ARTIFACTS / "index.png"
        visit.page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        print(f"screenshot of the catalogue's index: {screenshot}")
        assert visit.errors == []
    finally:
        visit.close()


def test_an_event_page_tells_a_consumer_what_they_need(browser: Any, tmp_path: Path) -> None:
    site = build(tmp_path, TRICKY)
    visit = Visit(browser, (site / "event-OrderPlaced.html").as_uri())
    try:
        page = visit.page
        rows = page.locator("table.schema tbody tr")
        status = rows.filter(has=page.locator("td", has_text="status"))
        assert "<CANCELLED>" in status.inner_text() and "PAID" in status.inner_text()
        assert "address.city" in page.locator("table.schema").inner_text()
        example = page.locator("#example pre").inner_text()
        assert '"source": "shop.orders"' in example and '"detail-type": "Order Placed"' in example
        publishers = page.locator("#publishers").inner_text()
        assert "web-shop" in publishers and "pos" in publishers and "1,000" in publishers
        routes = page.locator("#rules").inner_text()
        assert "paid-orders" in routes and "all-orders" in routes and "fulfilment" in routes
        assert page.locator(".version").inner_text() == "2.1.0"
        assert "% of the total" in page.locator("dl").inner_text()
        assert page.locator("#route svg.routing").is_visible()
        assert visit.errors == []
    finally:
        visit.close()


def test_user_text_is_shown_as_text_never_run(browser: Any, tmp_path: Path) -> None:
    site = build(tmp_path, TRICKY)
    for name in ("index.html", "event-OrderPlaced.html", "agent-web-shop.html", "rule-paid-orders.html"):
        visit = Visit(browser, (site / name).as_uri())
        try:
            assert visit.page.locator("script, img, b").count() == 0, name
            assert visit.errors == [], (name, visit.errors)
        finally:
            visit.close()
    visit = Visit(browser, (site / "event-OrderPlaced.html").as_uri())
    try:
        assert "Orders <img src=x onerror=alert(1)> & more" in visit.page.locator("main").inner_text()
    finally:
        visit.close()


def test_the_cost_page_charts_every_agent_and_rule(browser: Any, cabruca_site: Path) -> None:
    visit = Visit(browser, (cabruca_site / "cost.html").as_uri())
    try:
        charts = visit.page.locator("svg.chart")
        assert charts.count() == 2 and charts.first.is_visible()
        assert visit.page.locator("#per-agent rect.bar").count() == 2 * 4  # expected and worst case per agent
        assert visit.page.locator("#per-rule rect.bar").count() == 2 * 6
        assert visit.page.locator("#per-agent svg a text").all_text_contents() == ["monitor", "product", "developer", "tester"]
        assert visit.errors == []
    finally:
        visit.close()

