"""`cabructl docs` without a browser: which pages exist, that they are self-contained and escaped,
and that the folder is replaced whole or not at all (tests/exports/test_catalogue_browser.py reads them)."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from cabructl.cli import cli
from cabructl.exports.catalogue.html import page_name
from support import TOPOLOGY, edit_topology

TRICKY = Path(__file__).resolve().parent / "fixtures" / "tricky" / "topology.yaml"


def docs(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["docs", *args])
    return result.exit_code, result.output


class Elements(HTMLParser):
    """The tags of a page and the addresses its attributes name."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.addresses: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.addresses += [value or "" for name, value in attrs if name in ("href", "src", "action", "xlink:href")]


def elements(path: Path) -> Elements:
    parser = Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_a_page_for_every_event_agent_rule_target_dead_letter_queue_and_environment(tmp_path: Path) -> None:
    code, output = docs("-f", str(TOPOLOGY), "-o", str(tmp_path / "site"))
    assert code == 0 and "pages" in output
    names = {path.name for path in (tmp_path / "site").iterdir()}
    expected = {"index.html", "cost.html", "style.css", *(page_name("event", n) for n in
                ("IssueDetectionEvent", "FeatureRequestEvent", "CodeChangeEvent", "TestResultsEvent")),
                *(page_name("agent", n) for n in ("monitor", "product", "developer", "tester")),
                page_name("rule", "critical-issues"), page_name("target", "queue.product-requests"),
                page_name("dlq", "eventbridge-dlq"), page_name("environment", "prod"), page_name("environment", "dev")}
    assert expected <= names


def test_the_site_is_self_contained_and_user_text_stays_text(tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert docs("-f", str(TRICKY), "-o", str(site))[0] == 0
    for page in site.glob("*.html"):
        found = elements(page)
        assert not {"script", "img", "iframe", "object", "b"} & set(found.tags), page.name
        assert all(not address.startswith(("http:", "https:", "//", "javascript:")) for address in found.addresses), page.name
    stylesheet = (site / "style.css").read_text(encoding="utf-8")
    assert "url(" not in stylesheet and "@import" not in stylesheet
    event = (site / "event-OrderPlaced.html").read_text(encoding="utf-8")
    assert "Orders &lt;img src=x onerror=alert(1)&gt; &amp; more" in event
    assert "&lt;script&gt;alert(&#x27;tag&#x27;)&lt;/script&gt;" in (site / "index.html").read_text(encoding="utf-8")


def test_env_selects_the_environment_the_pages_describe(tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert docs("-f", str(TRICKY), "--env", "staging", "-o", str(site))[0] == 0
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "<code>us-east-1</code>" in index and "environment <strong>staging</strong>" in index
    agent = (site / "agent-web-shop.html").read_text(encoding="utf-8")
    assert "10 a day" in agent
    test_env = (site / page_name("environment", "test")).read_text(encoding="utf-8")
    assert "sa-east-1" in test_env and "cabructl docs --env test" in test_env


def test_a_second_run_replaces_the_site_whole(tmp_path: Path, topology_copy: Path) -> None:
    site = tmp_path / "site"
    assert docs("-f", str(topology_copy), "-o", str(site))[0] == 0
    assert (site / "rule-failed-tests.html").exists()
    text = topology_copy.read_text(encoding="utf-8")
    start, end = text.index("  failed-tests:\n"), text.index("queues:\n")
    topology_copy.write_text(text[:start] + text[end:], encoding="utf-8")
    assert docs("-f", str(topology_copy), "-o", str(site))[0] == 0
    assert not (site / "rule-failed-tests.html").exists(), "a page of a removed rule is gone"
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == [], "no build folder left"


def test_an_error_leaves_the_previous_site_as_it_was(tmp_path: Path, topology_copy: Path) -> None:
    site = tmp_path / "site"
    assert docs("-f", str(topology_copy), "-o", str(site))[0] == 0
    before = {path.name: path.read_bytes() for path in site.iterdir()}
    edit_topology(topology_copy, "events: [IssueDetectionEvent]", "events: [NoSuchEvent]")
    code, output = docs("-f", str(topology_copy), "-o", str(site))
    assert code == 1 and "NoSuchEvent" in output
    assert {path.name: path.read_bytes() for path in site.iterdir()} == before


def test_a_folder_cabructl_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("mine\n", encoding="utf-8")
    code, output = docs("-f", str(TOPOLOGY), "-o", str(mine))
    assert code == 1 and "was not written by cabructl docs" in output
    assert [path.name for path in mine.iterdir()] == ["todo.txt"]
    shutil.rmtree(mine)


def test_the_cost_page_shows_the_whole_bill_per_service(tmp_path: Path, topology_copy: Path) -> None:
    """The same services and totals as `policy check`: 26.75 USD worst case for the whole backbone, EventBridge
    alone in the budget under `scope: eventbridge`, every service in it under `scope: backbone`."""
    assert docs("-f", str(TOPOLOGY), "-o", str(tmp_path / "site"))[0] == 0
    page = (tmp_path / "site" / "cost.html").read_text(encoding="utf-8")
    whole = page[page.index('id="per-service"'):]
    assert "<td><strong>Whole backbone</strong></td><td>$21.59</td><td>$26.75</td>" in whole
    assert "<td>Amazon CloudWatch Logs (Standard log class)</td><td>$3.84</td><td>$3.84</td><td>no</td>" in whole
    assert "<td>Amazon EventBridge (event buses)</td><td>$5.12</td><td>$6.70</td><td>yes</td>" in whole

    edit_topology(topology_copy, "scope: eventbridge", "scope: backbone")
    assert docs("-f", str(topology_copy), "-o", str(tmp_path / "backbone"))[0] == 0
    backbone = (tmp_path / "backbone" / "cost.html").read_text(encoding="utf-8")
    assert "<td>Amazon CloudWatch Logs (Standard log class)</td><td>$3.84</td><td>$3.84</td><td>yes</td>" in backbone
