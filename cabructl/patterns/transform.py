"""The body EventBridge sends one target for one event: ``Input``, ``InputPath``, ``InputTransformer``.

``cabructl test-event`` and the local endpoint must show what a target *receives*, not the
event, so this module renders a PutTargets target entry exactly as EventBridge does, and
says why PutTargets would refuse one. Sources, cited at each rule below:

[UG]  User Guide, "Amazon EventBridge input transformation" (eb-transform-target-input),
      predefined variables, examples and "Common issues with transforming input".
[API] API Reference: PutTargets, Target (Input, InputPath) and InputTransformer, and the
      service model botocore ships (events 2015-10-07) for lengths, counts and patterns.
[REC] Bodies and errors recorded from real AWS by LocalStack's snapshot tests
      (tests/aws/services/events/test_events_inputs.snapshot.json, "aws.validated", 2024).

Where the sources are silent the rule taken is marked *inferred* in its docstring.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable, Iterable, Iterator, Mapping

from cabructl.errors import CabructlError

MAX_TEMPLATE_CHARS = 8192  # [API] InputTemplate: length 1..8192
MAX_INPUT_CHARS = 8192  # [API] Target.Input: length ..8192
MAX_PATH_CHARS = 256  # [API] Target.InputPath and each InputPathsMap value: length ..256
MAX_PATHS = 100  # [API] InputPathsMap: at most 100 entries; [UG] "up to 100 variables"
MAX_KEY_CHARS = 256  # [API] InputTransformerPathKey: length 1..256
_KEY = re.compile(r"[A-Za-z0-9_\-]+")  # [API] InputTransformerPathKey pattern (matched whole)
RESERVED_PREFIX = "aws."  # [API] "The keys cannot start with AWS."; [UG] predefined names reserved

RULE_ARN, RULE_NAME = "aws.events.rule-arn", "aws.events.rule-name"
INGESTION_TIME, EVENT, EVENT_JSON = "aws.events.event.ingestion-time", "aws.events.event", "aws.events.event.json"
PREDEFINED = frozenset({RULE_ARN, RULE_NAME, INGESTION_TIME, EVENT, EVENT_JSON})  # [UG] Predefined variables
# [UG] these two "can only be used as a value for a JSON field, as its contents are not escaped".
JSON_VALUE_ONLY = frozenset({EVENT, EVENT_JSON})

# [REC] the order EventBridge writes an event's envelope in (the no-input body and aws.events.event.json).
EVENT_KEYS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")
# [REC] aws.events.event: no detail, "detail-type" spelled "detailType", and this key order.
_EVENT_VARIABLE_KEYS = ("id", "account", "detail-type", "time", "source", "region", "resources", "version")

# Every <...> is a placeholder: [UG] (earlier editions) "The characters < and > cannot be escaped".
_PLACEHOLDER = re.compile(r"<([^<>]+)>")
_STRING_OR_SPACE = re.compile(r'("(?:[^"\\]|\\.)*")|\s+', re.DOTALL)
_STEP = re.compile(r"""\.(?P<name>[^.\[\]\s'"]+)"""  # .name (.* is a wildcard)
                   r"""|\[(?:(?P<index>[0-9]+)|'(?P<single>[^']*)'|"(?P<double>[^"]*)"|(?P<star>\*))\]""")
_WILDCARD = object()
_SENTINEL = "\ue000"  # a private-use character: stands in for a placeholder when checking a template's JSON

Found = tuple[bool, Any]


class TargetInputError(CabructlError):
    """A target's input cannot be rendered: PutTargets would have refused it, or cabructl cannot evaluate its path."""

    reference = "invalid-target-input"


def render_input(target: Mapping[str, Any], event: Mapping[str, Any], *, rule_arn: str, rule_name: str,
                 ingestion_time: str | None = None) -> str:
    """The body EventBridge sends to this target for this event (a PutTargets target entry:
    keys Input, InputPath, InputTransformer{InputPathsMap, InputTemplate}).

    - none of the three: the whole event ([API] PutTargets), minified ([UG]), envelope keys in AWS's order ([REC]);
    - ``Input``: the text itself, verbatim ([API] "the matched event is overridden with this constant");
    - ``InputPath``: the selected value as minified JSON ([API], [REC]: ``$.detail.payload.sf_id`` gives
      ``"baz"``). A path that selects nothing gives ``""``, the JSON empty string: *inferred* from
      InputTransformer, where AWS renders a value a path does not select as the empty string [REC];
      no source says what InputPath does then;
    - ``InputTransformer``: see :func:`render_template`.

    ``ingestion_time`` defaults to the event's ``time``. More than one of the three is refused,
    as PutTargets refuses it [REC]; other invalid transformers are rendered as given (an
    undefined placeholder stays as text), so check them with :func:`transformer_problems`.
    """
    given = [name for name in ("Input", "InputPath", "InputTransformer") if target.get(name) is not None]
    if len(given) > 1:
        raise TargetInputError(_ONLY_ONE)
    envelope = aws_event(event)
    if "Input" in given:
        return str(target["Input"])
    if "InputPath" in given:
        found, value = _select_or_refuse(target["InputPath"], envelope)
        return _json(value if found else "")
    if "InputTransformer" in given:
        variables = predefined_values(envelope, rule_arn=rule_arn, rule_name=rule_name, ingestion_time=ingestion_time)
        return render_template(target["InputTransformer"], envelope, variables)
    return _json(envelope)


def render_template(transformer: Mapping[str, Any], event: Mapping[str, Any], predefined: Mapping[str, Any]) -> str:
    """An InputTransformer's template with every placeholder filled, as EventBridge fills it.

    Whether a placeholder sits inside a JSON string (between unescaped double quotes) decides its text:

    - outside quotes the value goes in as JSON: a string with its quotes ([UG] "Simple JSON":
      ``"instance": <instance>`` gives ``"instance": "i-0123456789"``), anything else as its JSON text;
    - inside quotes a string goes in as string content (escaped as JSON escapes it, so ``"`` becomes
      ``\\"``: the text it already has in the event's JSON, which [UG] says EventBridge does not escape
      again), anything else as its JSON text, unescaped ([UG]: not escaped), which can break the JSON;
    - a path that selects nothing gives the empty string: nothing inside quotes, ``""`` outside [REC];
    - a template that is one JSON string is sent with its quotes ([UG] "Simple string", [REC]); text that
      is not JSON at all follows the same quote rule (*inferred*: no source shows its output);
    - a result that is valid JSON is minified, whitespace inside strings kept ([UG] "The JSON that is
      passed to the target is minified"); anything else is sent as rendered.

    Predefined variables win over InputPathsMap keys of the same name ([UG] "can't be overwritten").
    """
    paths = transformer.get("InputPathsMap") or {}
    values: dict[str, Found] = {name: _select_or_refuse(path, event) for name, path in paths.items() if name not in PREDEFINED}
    values.update((name, (True, value)) for name, value in predefined.items())
    rendered = _substitute(str(transformer.get("InputTemplate", "")), values)
    return _minified(rendered) if _is_json(rendered) else rendered


def predefined_values(event: Mapping[str, Any], *, rule_arn: str, rule_name: str,
                      ingestion_time: str | None = None) -> dict[str, Any]:
    """The five reserved variables [UG], for an event already in AWS's envelope order."""
    return {
        RULE_ARN: rule_arn,
        RULE_NAME: rule_name,
        INGESTION_TIME: event.get("time") if ingestion_time is None else ingestion_time,
        EVENT: _event_variable(event),
        EVENT_JSON: dict(event),
    }


def aws_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event with its envelope keys in EventBridge's order; any other keys follow, as given."""
    ordered = {key: event[key] for key in EVENT_KEYS if key in event}
    ordered.update((key, value) for key, value in event.items() if key not in ordered)
    return ordered


def _event_variable(event: Mapping[str, Any]) -> dict[str, Any]:
    """``aws.events.event``: the event without ``detail``, as AWS renders it [REC] ([UG]: "without the detail field")."""
    ordered = {("detailType" if key == "detail-type" else key): event[key] for key in _EVENT_VARIABLE_KEYS if key in event}
    ordered.update((key, value) for key, value in event.items() if key not in EVENT_KEYS)
    return ordered


def _substitute(template: str, values: Mapping[str, Found]) -> str:
    """The template with each defined placeholder replaced by its text for where it sits."""
    return "".join(text if name is None else _placeholder_text(values[name], in_string)
                   for text, name, in_string in _scan(template, values.__contains__))


def _scan(template: str, defined: Callable[[str], bool]) -> Iterator[tuple[str, str | None, bool]]:
    """The template in pieces: (text, None, _) for literal text, ("", name, inside a JSON string) for a placeholder.

    A ``<...>`` that names nothing ``defined`` stays literal text, its quotes counting like any others.
    """
    in_string, position = False, 0
    while position < len(template):
        char = template[position]
        placeholder = _PLACEHOLDER.match(template, position) if char == "<" else None
        if placeholder is not None and defined(placeholder.group(1)):
            yield "", placeholder.group(1), in_string
            position = placeholder.end()
            continue
        width = 2 if in_string and char == "\\" else 1
        if char == '"':
            in_string = not in_string
        yield template[position:position + width], None, in_string
        position += width


def _placeholder_text(value: Found, in_string: bool) -> str:
    """What one placeholder becomes: see :func:`render_template` for the rules and their sources."""
    found, selected = value
    if not found:
        selected = ""
    if isinstance(selected, str) and in_string:
        return _json(selected)[1:-1]
    return _json(selected)


def _json(value: Any) -> str:
    """Minified JSON text, non-ASCII characters as themselves (*inferred*: no source shows AWS's choice)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _minified(text: str) -> str:
    """Valid JSON text without the whitespace between its tokens; strings and number spellings untouched."""
    return _STRING_OR_SPACE.sub(lambda match: match.group(1) or "", text)


# --- JSONPath ------------------------------------------------------------------------------------------


def select_path(path: str, event: Any) -> tuple[bool, Any]:
    """(found, value) for an EventBridge JSONPath such as $.detail.severity or $.detail['a-b'] or $.resources[0].

    [UG] lists the syntax EventBridge evaluates: dot notation, dashes, underscores, alphanumerics,
    forward slashes, array indices and wildcards; bracketed names are also read ([API] Target.InputPath:
    "dot notation or bracket notation"). A path with a wildcard selects the list of everything it
    reaches, ``[]`` when nothing (*inferred*, as Java's JSONPath libraries answer an indefinite path).
    Anything else (``..``, filters, slices, negative indices) raises ``ValueError``.
    """
    steps = parse_path(path)
    matches = list(_walk(event, steps))
    if any(step is _WILDCARD for step in steps):
        return True, matches
    return (True, matches[0]) if matches else (False, None)


def parse_path(path: str) -> tuple[Any, ...]:
    """The steps of a path: member names (str), array indices (int) and wildcards; ``ValueError`` if unsupported."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise ValueError(f"JSONPath {path!r} does not start with '$'")
    return _parse_path(path)


@functools.lru_cache(maxsize=1024)
def _parse_path(path: str) -> tuple[Any, ...]:
    steps: list[Any] = []
    position = 1
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise ValueError(f"JSONPath {path!r}: cabructl cannot evaluate it from character {position + 1}")
        steps.append(_step(match))
        position = match.end()
    return tuple(steps)


def _step(match: re.Match[str]) -> Any:
    if match.group("star") or match.group("name") == "*":
        return _WILDCARD
    if match.group("index") is not None:
        return int(match.group("index"))
    for group in ("name", "single", "double"):
        if match.group(group) is not None:
            return match.group(group)
    raise AssertionError(match.group())  # pragma: no cover - every alternative of _STEP is handled above


def _walk(value: Any, steps: tuple[Any, ...]) -> Iterable[Any]:
    """Every value the steps reach from ``value``, in document order."""
    if not steps:
        yield value
        return
    step, rest = steps[0], steps[1:]
    if step is _WILDCARD:
        children = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else ()
        for child in children:
            yield from _walk(child, rest)
    elif isinstance(step, int) and isinstance(value, list) and step < len(value):
        yield from _walk(value[step], rest)
    elif isinstance(step, str) and isinstance(value, Mapping) and step in value:
        yield from _walk(value[step], rest)


def _select_or_refuse(path: Any, event: Any) -> Found:
    try:
        return select_path(path, event)
    except ValueError as error:
        raise TargetInputError(str(error)) from None


# --- What PutTargets refuses ----------------------------------------------------------------------------

_ONLY_ONE = "Only one of Input, InputPath, or InputTransformer must be provided for target."  # [REC], wording AWS's


def target_input_problems(target: Mapping[str, Any]) -> list[str]:
    """Why PutTargets would refuse this target's input settings (empty when valid)."""
    given = [name for name in ("Input", "InputPath", "InputTransformer") if target.get(name) is not None]
    problems = [_ONLY_ONE] if len(given) > 1 else []
    text = target.get("Input")
    if text is not None:
        if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
            problems.append(f"Input must be a string of at most {MAX_INPUT_CHARS} characters")  # [API]
        elif not _is_json(text):
            problems.append("Input is not a valid JSON text")  # [API] "Valid JSON text passed to the target"
    path = target.get("InputPath")
    if path is not None and (not isinstance(path, str) or len(path) > MAX_PATH_CHARS):
        problems.append(f"InputPath must be a string of at most {MAX_PATH_CHARS} characters")  # [API]
    transformer = target.get("InputTransformer")
    if transformer is not None:
        problems += transformer_problems(transformer) if isinstance(transformer, Mapping) else ["InputTransformer must be a map"]
    return problems


def transformer_problems(transformer: Mapping[str, Any]) -> list[str]:
    """Why PutTargets would reject this InputTransformer (empty when valid).

    Only what AWS refuses: JSONPath values are not checked, since [UG] says "There is no validation
    when creating JSON path for your template" (see :func:`transformer_warnings` for those).
    """
    paths = transformer.get("InputPathsMap")
    problems = _paths_problems({} if paths is None else paths)
    template = transformer.get("InputTemplate")
    if not isinstance(template, str) or not template:
        return ["InputTemplate is required and must be a non-empty string", *problems]  # [API] required, min 1
    if len(template) > MAX_TEMPLATE_CHARS:
        problems.append(f"InputTemplate is {len(template)} characters; at most {MAX_TEMPLATE_CHARS} are allowed")  # [API]
    defined = set(paths) if isinstance(paths, Mapping) else set()
    for name in _unique(match.group(1) for match in _PLACEHOLDER.finditer(template)):
        if name not in defined and name not in PREDEFINED:
            problems.append(f"InputTemplate contains invalid placeholder {name}.")  # [REC], wording AWS's
    if template.lstrip().startswith("{"):
        problems += _json_object_problems(template)
    return problems


def _paths_problems(paths: Any) -> list[str]:
    """[API] InputPathsMap: a map of at most 100 entries, keys 1..256 of [A-Za-z0-9_-], values at most 256."""
    if not isinstance(paths, Mapping):
        return ["InputPathsMap must be a map of variable names to JSON paths"]
    problems = [f"InputPathsMap has {len(paths)} entries; at most {MAX_PATHS} are allowed"] if len(paths) > MAX_PATHS else []
    for name, path in paths.items():
        if not isinstance(name, str):
            problems.append(f"InputPathsMap key {name!r} must be a string")
        elif name.lower().startswith(RESERVED_PREFIX):
            problems.append(f"InputPathsMap key {name} is reserved: keys cannot start with 'aws.'")
        elif len(name) > MAX_KEY_CHARS or not _KEY.fullmatch(name):
            problems.append(f"InputPathsMap key {name!r} must be 1 to {MAX_KEY_CHARS} of A-Z a-z 0-9 _ -")
        if not isinstance(path, str) or len(path) > MAX_PATH_CHARS:
            problems.append(f"InputPathsMap value for {name} must be a JSON path of at most {MAX_PATH_CHARS} characters")
    return problems


def _json_object_problems(template: str) -> list[str]:
    """[API] InputTemplate: "If InputTemplate is a JSON object (surrounded by curly braces) ... The placeholder
    cannot be used as an object key." That AWS also refuses such a template that is not valid JSON once
    filled is *inferred* from the same restriction: AWS can only find object keys by parsing it.
    """
    filled = "".join(text if name is None else _placeholder_text((True, _SENTINEL), inside)
                     for text, name, inside in _scan(template, _any_name))
    keys: list[str] = []

    def collect(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys.extend(key for key, _ in pairs)
        return dict(pairs)

    try:
        json.loads(filled, object_pairs_hook=collect)
    except ValueError as error:
        return [f"InputTemplate is a JSON object but is not valid JSON once its placeholders are filled: {error}"]
    if any(_SENTINEL in key for key in keys):
        return ["InputTemplate is a JSON object: a placeholder cannot be used as an object key"]
    return []


def _any_name(name: str) -> bool:
    return True


def transformer_warnings(transformer: Mapping[str, Any]) -> list[str]:
    """What PutTargets accepts but delivers wrong or cabructl cannot check: not errors, only worth saying."""
    warnings: list[str] = []
    template = transformer.get("InputTemplate")
    if isinstance(template, str):
        inside = _placeholders_in_strings(template)
        warnings += [f"<{name}> is inside quotes, but it can only be used as a JSON value: its contents are not escaped"
                     for name in sorted(JSON_VALUE_ONLY & inside)]  # [UG] Predefined variables
    paths = transformer.get("InputPathsMap")
    for name, path in (paths.items() if isinstance(paths, Mapping) else ()):
        try:
            parse_path(path)
        except ValueError as error:
            warnings.append(f"InputPathsMap {name}: {error}")
        else:
            if "[" in path and not re.search(r"\[[0-9*]+\]", path):
                warnings.append(f"InputPathsMap {name}: AWS asks for dot notation, not bracket notation")  # [API]
    return warnings


def _placeholders_in_strings(template: str) -> set[str]:
    """Names of the placeholders that sit inside a JSON string of the template."""
    return {name for _, name, inside in _scan(template, _any_name) if name is not None and inside}


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
