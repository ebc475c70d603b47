"""One local endpoint for the whole session, reached over real HTTP by the real boto3 client.

moto's state is process-global and outlives each test, so tests name what they
create with the ``unique`` fixture instead of relying on a clean slate.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable, Iterator

import boto3
import pytest
from botocore.config import Config

from cabructl.local import LocalAws

REGION = "sa-east-1"
# Fail fast: a retried 5xx would only hide a bug in the endpoint and slow the run.
NO_RETRIES = Config(retries={"total_max_attempts": 1})


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    with LocalAws(port=0, region=REGION) as aws:
        yield aws


@pytest.fixture(scope="session")
def aws_client(local_aws: LocalAws) -> Callable[..., Any]:
    def client(service: str, region: str = REGION) -> Any:
        return boto3.client(
            service,
            endpoint_url=local_aws.endpoint_url,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=NO_RETRIES,
        )

    return client


@pytest.fixture
def schemas(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("schemas")


@pytest.fixture
def unique() -> Callable[[str], str]:
    """A fresh resource name per call."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:10]}"
