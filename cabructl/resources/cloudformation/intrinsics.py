"""CloudFormation's references, both ways: offline values to ``Ref``/``Fn::GetAtt``/``Fn::Sub``, and back.

Forward (:class:`Namer`): a string that is the ARN (or the name) of a resource of the template
becomes a reference to it, so the stack orders and wires them itself; an ARN inside a longer
string (a log group's ``ARN:*``) becomes ``Fn::Sub``; every other ARN keeps its service and
resource but takes the stack's partition, region and account (``AWS::Partition``,
``AWS::Region``, ``AWS::AccountId``) in place of the offline placeholder's. The exporter says
which resources each template resource may reference (never one that waits for it), so the
references never make a cycle.

Reverse (:func:`resolve`): every intrinsic back to the value it has in the offline context, so a
test can compare the template with the desired state the plan is made of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from cabructl.resources.base import Context
from cabructl.resources.cloudformation.base import Regional

_WHOLE_REF = re.compile(r"\$\{([A-Za-z0-9]+(?:::[A-Za-z]+)?)\}")
_WHOLE_ATT = re.compile(r"\$\{([A-Za-z0-9]+)\.([A-Za-z0-9.]+)\}")
_PLACEHOLDER = re.compile(r"\$\{(!?)([^}]*)\}")
# An ARN named inside a longer string ends where no name character follows (":*" of log streams, a quote).
_ENDS_AN_ARN = r"(?![A-Za-z0-9._/#-])"
Allowed = Callable[[str], bool]  # may this template resource reference the resource at that address?


@dataclass(frozen=True)
class Known:
    """A value of one template resource that others may name: its ARN or its name."""

    address: str
    text: str  # Fn::Sub text that says it ("${QueueJobs.Arn}")
    embeds: bool = True


@dataclass
class Namer:
    """Which offline strings are which template resources' ARNs and names."""

    context: Context
    arns: dict[str, Known] = field(default_factory=dict)
    names: dict[str, Known | None] = field(default_factory=dict)  # None: two resources share it (never guessed)

    def add_arn(self, value: str, known: Known) -> None:
        self.arns[value] = known

    def add_name(self, value: str, known: Known) -> None:
        self.names[value] = None if value in self.names else known

    def reference(self, value: Any, allowed: Allowed) -> Any:
        """``value`` (properties, documents, lists) with references in place of offline strings."""
        if isinstance(value, Regional):
            return self._string(str(value), allowed, regional=True)
        if isinstance(value, str):
            return self._string(value, allowed)
        if isinstance(value, dict) and not is_intrinsic(value):
            return {key: self.reference(item, allowed) for key, item in value.items()}
        if isinstance(value, list):
            return [self.reference(item, allowed) for item in value]
        return value

    def _string(self, text: str, allowed: Allowed, *, regional: bool = False) -> Any:
        if text == self.context.account_id:
            return {"Ref": "AWS::AccountId"}
        whole = self.arns.get(text) or self.names.get(text)
        if whole is not None and allowed(whole.address):
            return intrinsic(whole.text)
        sub = self._embedded(text.replace("${", "${!"), allowed)
        sub = self._environment(sub)
        if regional:
            sub = sub.replace(f'"{self.context.region}"', '"${AWS::Region}"')
        return text if sub == text.replace("${", "${!") else intrinsic(sub)

    def _embedded(self, text: str, allowed: Allowed) -> str:
        """Known ARNs inside a longer string (longest first, so a prefix never takes a longer ARN's place)."""
        for value in sorted(self.arns, key=len, reverse=True):
            known = self.arns[value]
            if value not in text or not known.embeds or not allowed(known.address):
                continue
            text = re.sub(re.escape(value) + _ENDS_AN_ARN, lambda _match, known=known: known.text, text)
        return text

    def _environment(self, text: str) -> str:
        """``arn:aws:svc:<region>:<account>:`` → the stack's own partition, region and account."""
        context = self.context
        pattern = re.compile(rf"arn:{re.escape(context.partition)}:([a-z0-9-]+):([a-z0-9-]*):([0-9]{{12}}|aws|):")

        def stack(match: re.Match[str]) -> str:
            service, region, account = match.groups()
            region = "${AWS::Region}" if region == context.region else region
            account = "${AWS::AccountId}" if account == context.account_id else account
            return f"arn:${{AWS::Partition}}:{service}:{region}:{account}:"

        return pattern.sub(stack, text)


def is_intrinsic(value: Any) -> bool:
    """A one-key mapping CloudFormation reads as a function (a mapping's reference to its own piece)."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt", "Fn::Sub")


def intrinsic(sub: str) -> Any:
    """``Fn::Sub`` text as the plainest intrinsic that says it: ``Ref``, ``Fn::GetAtt`` or ``Fn::Sub``."""
    if _WHOLE_REF.fullmatch(sub):
        return {"Ref": sub[2:-1]}
    match = _WHOLE_ATT.fullmatch(sub)
    if match:
        return {"Fn::GetAtt": [match.group(1), match.group(2)]}
    return {"Fn::Sub": sub}


def referenced(value: Any) -> set[str]:
    """The logical ids a value references (what CloudFormation already orders it after)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if set(value) == {"Ref"} and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        elif set(value) == {"Fn::GetAtt"}:
            found.add(value["Fn::GetAtt"][0])
        elif set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            found |= {name.split(".", 1)[0] for bang, name in _PLACEHOLDER.findall(value["Fn::Sub"]) if not bang}
        else:
            for item in value.values():
                found |= referenced(item)
    elif isinstance(value, list):
        for item in value:
            found |= referenced(item)
    return {name for name in found if not name.startswith("AWS::")}


# -- reverse ------------------------------------------------------------------------------
Lookup = Callable[[str, "str | None"], Any]  # (logical id, attribute or None for Ref) → its offline value


def pseudo(context: Context) -> dict[str, str]:
    """The pseudo parameters, as they are in the offline context."""
    return {"AWS::AccountId": context.account_id, "AWS::Region": context.region, "AWS::Partition": context.partition,
            "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "cabructl-offline"}


def resolve(value: Any, lookup: Lookup, context: Context) -> Any:
    """``value`` with every ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub`` replaced by its offline value."""
    if isinstance(value, list):
        return [resolve(item, lookup, context) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        name = value["Ref"]
        return pseudo(context).get(name) if name.startswith("AWS::") else lookup(name, None)
    if set(value) == {"Fn::GetAtt"}:
        target = value["Fn::GetAtt"]
        logical, attribute = target.split(".", 1) if isinstance(target, str) else target
        return lookup(logical, attribute)
    if set(value) == {"Fn::Sub"}:
        return _substitute(value["Fn::Sub"], lookup, context)
    return {key: resolve(item, lookup, context) for key, item in value.items()}


def _substitute(sub: Any, lookup: Lookup, context: Context) -> str:
    text, variables = (sub[0], sub[1]) if isinstance(sub, list) else (sub, {})
    values: Mapping[str, str] = pseudo(context)

    def one(match: re.Match[str]) -> str:
        bang, name = match.groups()
        if bang:
            return "${" + name + "}"
        if name in variables:
            return str(resolve(variables[name], lookup, context))
        if name in values:
            return values[name]
        logical, _, attribute = name.partition(".")
        return str(lookup(logical, attribute or None))

    return _PLACEHOLDER.sub(one, text)
