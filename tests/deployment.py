"""Deployments of the real topology on the embedded endpoint, shared by test folders.

Each deployment is a copy of topology.yaml (with schemas/) under a project name of its
own, because the endpoint's state is process-global: tests never see each other's
resources. A module of its own (not conftest), under a name no test folder uses.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
from click.testing import CliRunner, Result

from cabructl.aws import Aws, AwsSettings
from cabructl.engine import Engine
from cabructl.topology import Topology, load_topology
from support import ROOT, edit_topology

REGION = "sa-east-1"


@dataclass
class Deployment:
    """One applied copy of the topology on an endpoint."""

    file: Path
    endpoint_url: str
    env: str | None = None

    def __post_init__(self) -> None:
        # Kept, not re-read: tests may break the file, and teardown still needs them.
        topology = self.topology
        self.prefix, self.bus, self.region = topology.prefix, topology.bus.name, topology.region

    @property
    def topology(self) -> Topology:
        """The file as it is now (tests edit it), parsed once per content."""
        return _load(str(self.file), self.file.read_text(encoding="utf-8"), self.env)

    def aws(self, **settings: Any) -> Aws:
        """A fresh boundary (its own call log) on the endpoint."""
        return Aws(AwsSettings(region=self.region, endpoint_url=self.endpoint_url, **settings))

    def engine(self, aws: Aws | None = None) -> Engine:
        return Engine(self.topology, aws or self.aws())

    def client(self, service: str) -> Any:
        return _client(service, self.endpoint_url, self.region)

    def apply(self) -> None:
        engine = self.engine()
        result = engine.apply(engine.plan(), allow_data_loss=True)
        assert result.ok, [outcome.error for outcome in result.failed]

    def release(self) -> None:
        """Delete the deployment's CloudWatch Logs resource policy: AWS (and moto) allow ten per
        account and region, and every test deployment shares the endpoint's one account."""
        logs = self.client("logs")
        for policy in logs.describe_resource_policies().get("resourcePolicies", []):
            if policy["policyName"].startswith(self.prefix):
                logs.delete_resource_policy(policyName=policy["policyName"])

    def cli(self, *args: str, input: str | None = None) -> Result:
        """``cabructl <args> -f FILE [--env ENV] --endpoint-url URL``."""
        from cabructl.cli import cli

        options = ["-f", str(self.file), "--endpoint-url", self.endpoint_url]
        if self.env:
            options += ["--env", self.env]
        return CliRunner().invoke(cli, [args[0], *options, *args[1:]], input=input, catch_exceptions=False)


@functools.lru_cache(maxsize=64)
def _load(file: str, text: str, env: str | None) -> Topology:
    return load_topology(file, env)


@functools.lru_cache(maxsize=None)
def _client(service: str, endpoint_url: str, region: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region)


def copy_topology(folder: Path, project_prefix: str = "drift") -> Path:
    """topology.yaml and schemas/ in ``folder``, renamed so nothing collides with other tests."""
    project = f"{project_prefix}-{uuid.uuid4().hex[:8]}"
    file = folder / "topology.yaml"
    shutil.copy(ROOT / "topology.yaml", file)
    shutil.copytree(ROOT / "schemas", folder / "schemas")
    edit_topology(file, "project: cabruca-segmentation", f"project: {project}")
    edit_topology(file, "name: cabruca-agents-bus\n", f"name: {project}-bus\n")
    return file


@contextlib.contextmanager
def deployments(folder: Callable[[], Path], local: Any, kind: type[Deployment] = Deployment,
                project_prefix: str = "drift") -> Iterator[Callable[..., Any]]:
    """Make deployments (each applied unless ``applied=False``); release their shared account-wide
    resources when the block ends."""
    made: list[Deployment] = []

    def make(*edits: tuple[str, str], env: str | None = None, applied: bool = True) -> Deployment:
        file = copy_topology(folder(), project_prefix)
        for old, new in edits:
            edit_topology(file, old, new)
        deployment = kind(file, local.endpoint_url, env)
        made.append(deployment)
        if applied:
            deployment.apply()
        return deployment

    try:
        yield make
    finally:
        for deployment in made:
            deployment.release()
