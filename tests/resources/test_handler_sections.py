"""Every kind says which topology section causes its resources: where findings about them are placed."""

from __future__ import annotations

from cabructl.resources import handlers
from cabructl.topology.loader import topology_schema


def test_every_handler_names_a_section_of_the_language() -> None:
    sections = set(topology_schema()["properties"])
    assert {handler.kind: handler.section for handler in handlers() if handler.section not in sections} == {}
