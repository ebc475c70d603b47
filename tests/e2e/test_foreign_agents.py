"""An agent in another account, end to end: the real `cabructl` process and `local serve` over HTTP.

`apply` writes the agent's grant into the bus's resource policy; a statement added by hand
stays through a second apply (which has nothing to do), through drift, and through a
destroy. A destroy deletes the bus, and its policy with it, unless the bus holds a rule
cabructl does not own: then the bus is kept, and so is the hand-made statement, with
cabructl's own removed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from cabructl.topology import load_topology
from deployment import copy_topology
from e2e_driver import REGION, Cli
from support import edit_topology

FOREIGN = "111122223333"
SOMEONE = "999988887777"


def events(endpoint: str) -> Any:
    return boto3.client("events", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def statements(client: Any, bus: str) -> dict[str, dict[str, Any]]:
    found = client.describe_event_bus(Name=bus).get("Policy")
    return {statement["Sid"]: statement for statement in json.loads(found)["Statement"]} if found else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_a_foreign_agents_grant_is_applied_kept_apart_from_hand_made_ones_and_destroyed(
        tmp_path: Path, aws_env: dict[str, str], endpoint: str) -> None:
    file = copy_topology(tmp_path, "e2e-foreign")
    edit_topology(file, "  monitor:\n    source: cabruca.agents.monitor\n",
                  f'  monitor:\n    source: cabruca.agents.monitor\n    account: "{FOREIGN}"\n')
    topology = load_topology(str(file))
    cli, client, bus = Cli(tmp_path, aws_env), events(endpoint), topology.bus.name
    ours = f"cabructl-{topology.project}-{topology.environment}-monitor-{FOREIGN}"
    try:
        cli.run("apply", "--auto-approve")

        statement = statements(client, bus)[ours]
        assert as_list(statement["Principal"]["AWS"]) == [f"arn:aws:iam::{FOREIGN}:root"]
        assert as_list(statement["Action"]) == ["events:PutEvents"]
        assert {key: as_list(value) for key, value in statement["Condition"]["StringEquals"].items()} == {
            "events:source": ["cabruca.agents.monitor"], "events:detail-type": ["Issue Detection Event"]}

        client.put_permission(EventBusName=bus, Action="events:PutEvents", Principal=SOMEONE, StatementId="made-by-hand")
        theirs = statements(client, bus)["made-by-hand"]
        cli.run("plan", "--detailed-exitcode")  # 0: nothing to change, the hand-made statement is not ours
        cli.run("drift")
        cli.run("apply", "--auto-approve")
        assert statements(client, bus) == {ours: statement, "made-by-hand": theirs}

        client.remove_permission(EventBusName=bus, StatementId=ours)
        drift = cli.run("drift", "--format", "json", check=2)
        assert "events.bus_policy.bus_policy" in drift.stdout, drift.stdout
        cli.run("apply", "--auto-approve")
        assert sorted(statements(client, bus)) == sorted([ours, "made-by-hand"])

        # A bus holding a statement cabructl does not own is kept (someone's publishers rely on it), as a bus
        # holding a hand-made rule is: our statement goes, the hand-made one stays.
        kept = cli.run("destroy", "--auto-approve", "--allow-data-loss", check=1)
        assert "Kept events.bus.bus" in kept.stdout + kept.stderr and "bus-policy statement made-by-hand" in kept.stdout
        assert statements(client, bus) == {"made-by-hand": theirs}

        # Once its owner removes it, the bus goes.
        client.remove_permission(EventBusName=bus, StatementId="made-by-hand")
        cli.run("destroy", "--auto-approve", "--allow-data-loss")
        assert [found["Name"] for found in client.list_event_buses(NamePrefix=bus)["EventBuses"]] == []
    finally:
        cli.run("destroy", "--auto-approve", "--allow-data-loss", check=None)
