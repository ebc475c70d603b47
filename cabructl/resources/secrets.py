"""A connection's secret, read at apply time from where the topology says it is: never from the YAML.

The source (an environment variable's name, a Secrets Manager ARN) travels in the desired
resource's ``identity``, so plans and saved plan files name where the secret comes from and
never hold it. The value is read only when a write needs it, first by the apply's pre-flight
(:meth:`cabructl.resources.base.Handler.unready`), which proves it is there before the first
write, then by the write itself; ``aws.memo`` makes both one read of Secrets Manager.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from cabructl.aws import error_summary, is_botocore_error

FROM_ENV = "secret_from_env"        # identity key: the environment variable's name
FROM_SECRET = "secret_from_secret"  # identity key: the Secrets Manager secret's ARN
_MEMO = "cabructl.secret"


class SecretUnavailable(Exception):
    """The secret cannot be had; the message says which and why (the pre-flight reports it)."""


def secret_value(aws: Any, identity: Mapping[str, Any]) -> str:
    """The secret's value now; :class:`SecretUnavailable` when it is unset, empty or unreadable."""
    variable = identity.get(FROM_ENV)
    if variable:
        value = os.environ.get(variable, "")
        if not value:
            raise SecretUnavailable(f"environment variable {variable} is not set (or is empty)")
        return value
    arn = identity.get(FROM_SECRET)
    if not arn:
        raise SecretUnavailable("no secret source (value_from_env or value_from_secret)")
    return aws.memo((_MEMO, arn), lambda: _read_secret(aws, arn))


def _read_secret(aws: Any, arn: str) -> str:
    try:
        response = aws.client("secretsmanager").get_secret_value(SecretId=arn)
    except Exception as error:
        if not is_botocore_error(error):
            raise
        raise SecretUnavailable(f"cannot read Secrets Manager secret {arn}: {error_summary(error)}") from error
    value = response.get("SecretString")
    if not value:
        raise SecretUnavailable(f"Secrets Manager secret {arn} has no SecretString (a binary secret cannot be sent)")
    return str(value)


def secret_problem(aws: Any, identity: Mapping[str, Any]) -> str | None:
    """Why the secret cannot be had, or None when it can (the pre-flight's question)."""
    try:
        secret_value(aws, identity)
    except SecretUnavailable as problem:
        return str(problem)
    return None
