"""A publisher policy widened out of band (someone adds ``events:*``) is drift: reported as changed.

The per-agent policies are what keeps one agent from publishing as another, so a console edit
that widens one must show up in ``cabructl drift`` (and be undone by ``apply``).
"""

from __future__ import annotations

import json

from cabructl.engine.drift import detect_drift
from drift_support import Deploy
from support import every_item

ADDRESS = "iam.policy.monitor-publisher"


def test_a_widened_agent_policy_is_reported_as_changed_and_apply_restores_it(deploy: Deploy) -> None:
    deployment = deploy()
    iam = deployment.client("iam")
    arn = next(policy["Arn"] for policy in every_item(iam, "list_policies", "Policies", Scope="Local")
               if policy["PolicyName"] == f"{deployment.prefix}monitor-publisher")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    if isinstance(document, str):
        document = json.loads(document)
    widened = {**document, "Statement": document["Statement"] + [{"Effect": "Allow", "Action": "events:*", "Resource": "*"}]}
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(widened), SetAsDefault=True)

    report = detect_drift(deployment.engine())

    changed = report.changed_at(ADDRESS)
    assert changed is not None, report.to_json()["drift"]
    assert {attribute.path.split(".")[0].split("[")[0] for attribute in changed.attributes} == {"document"}
    assert [item.address for item in report.changed] == [ADDRESS]
    deployment.apply()
    assert detect_drift(deployment.engine()).changed == ()
