"""lambda.permission: the statement in a function's resource policy that lets one rule invoke it.

(In progress: the desired side; discovery and writes follow.)
"""

from __future__ import annotations

from typing import Any

from cabructl.resources.base import Context, Handler, Resource
from cabructl.resources.delivery_grants import PERMISSION_KIND, function_grants, permission_statement
from cabructl.resources.documents import normalize_policy, policy
from cabructl.topology.model import Topology

KIND = PERMISSION_KIND


class PermissionHandler(Handler):
    kind = KIND

    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        return [Resource(grant.address, KIND, grant.sid, {"statement": normalize_policy(policy([permission_statement(grant)]))},
                         (), {"function": grant.function_arn}) for grant in function_grants(topology, context)]


HANDLER = PermissionHandler()
