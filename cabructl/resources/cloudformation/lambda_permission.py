"""lambda.permission as AWS::Lambda::Permission: one rule may invoke one function.

CloudFormation gives the statement an id of its own (the resource has no StatementId), so the
``cabructl-<project>-<environment>-<rule>`` Sid that tells cabructl the statement is its own is
not in the stack: the name, and the Sid in the statement, are left out.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read
from cabructl.resources.delivery_grants import INVOKE_FUNCTION
from cabructl.resources.lambda_permission import statement_document

_SID = "the statement id: CloudFormation chooses it (AWS::Lambda::Permission has no StatementId)"


class PermissionMapping(CfnMapping):
    kind = "lambda.permission"
    prefix = "Permission"
    left_out = {"name": _SID}

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        statement = resource.attributes["statement"]["Statement"][0]
        identity = resource.identity
        properties = {"FunctionName": identity["function"], "Action": INVOKE_FUNCTION,
                      "Principal": statement["Principal"]["Service"][0], "SourceArn": identity["source_arn"],
                      "SourceAccount": identity["source_account"]}
        return [Piece(MAIN, "AWS::Lambda::Permission", properties)]

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        permission = pieces[MAIN]
        statement = {"Effect": "Allow", "Principal": {"Service": permission["Principal"]}, "Action": permission["Action"],
                     "Resource": permission["FunctionName"],
                     "Condition": {"StringEquals": {"AWS:SourceAccount": permission["SourceAccount"]},
                                   "ArnLike": {"AWS:SourceArn": permission["SourceArn"]}}}
        return Read(address, self.kind, None, {"statement": statement_document(statement)})

    def comparable(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        document = attributes.get("statement") or {}
        statements = [{key: value for key, value in statement.items() if key != "Sid"} for statement in document.get("Statement", [])]
        return {**super().comparable(attributes), "statement": {**document, "Statement": statements}}

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute is None:
            return f"{properties['FunctionName']}|permission"
        return super().resolve(suffix, properties, attribute, context)


MAPPING = PermissionMapping()
