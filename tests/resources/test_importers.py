"""Each kind's import mapping lives beside its handler; every kind either has one or is derived whole."""

from __future__ import annotations

from cabructl.resources import handlers
from cabructl.resources.importers import importer_of, routes_events
from cabructl.resources.importing import KindImporter

# Kinds cabructl derives entirely from other declarations: nothing of theirs is imported.
DERIVED_WHOLE = {"schemas.schema": "its content is the schema file", "logs.resource_policy": "derived from the rules",
                 "iam.role": "derived from the targets that deliver through it",
                 "lambda.permission": "derived from the rule and its function target",
                 "events.bus_policy": "derived from the agents' accounts, sources and events"}


def test_every_kind_has_an_import_mapping_or_is_derived_whole() -> None:
    for handler in handlers():
        if handler.kind in DERIVED_WHOLE:
            assert importer_of(handler.kind) is None
        else:
            assert isinstance(importer_of(handler.kind), KindImporter), handler.kind


def test_only_rules_and_targets_reroute_events() -> None:
    assert sorted(handler.kind for handler in handlers() if routes_events(handler.kind)) == ["events.rule", "events.target"]
