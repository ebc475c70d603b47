"""A target receives what EventBridge renders from Input, InputPath or InputTransformer, not the event.

The expected bodies follow AWS's documentation (User Guide "Amazon EventBridge input
transformation", PutTargets and InputTransformer API references) and the bodies and
errors LocalStack recorded from real AWS; cabructl/patterns/transform.py cites each rule.
Where no source says what AWS does, the case says "inferred".
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cabructl.patterns.transform import (
    MAX_PATHS,
    MAX_TEMPLATE_CHARS,
    TargetInputError,
    render_input,
    select_path,
    target_input_problems,
    transformer_problems,
    transformer_warnings,
)

RULE_ARN = "arn:aws:events:sa-east-1:123456789012:rule/agents/critical"
RULE_NAME = "critical"
DETAIL = {
    "severity": "HIGH", "who": "monitor", "count": 3, "ratio": 0.5, "ok": True, "none": None,
    "tags": ["a", "b"], "obj": {"k": "v"}, "quote": 'say "hi"', "slash": "C:\\temp",
    "multi": "line1\nline2", "a-b": "dash", "unicode": "café", "id": "i-0123456789", "state": "RUNNING",
}
# Keys deliberately out of AWS's order: the bodies must put them back in it.
EVENT: dict[str, Any] = {
    "detail": DETAIL, "source": "cabruca.agents.monitor", "version": "0", "region": "sa-east-1",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": "Issue Detection Event",
    "account": "123456789012", "time": "2025-01-01T00:00:00Z",
    "resources": ["arn:aws:ec2:sa-east-1:123456789012:instance/i-abcd1111"],
}
ENVELOPE = ('"version":"0","id":"7bf73129-1428-4cd3-a780-95db273d1602","detail-type":"Issue Detection Event",'
            '"source":"cabruca.agents.monitor","account":"123456789012","time":"2025-01-01T00:00:00Z",'
            '"region":"sa-east-1","resources":["arn:aws:ec2:sa-east-1:123456789012:instance/i-abcd1111"]')
DETAIL_JSON = json.dumps(DETAIL, separators=(",", ":"), ensure_ascii=False)
WHOLE_EVENT = "{" + ENVELOPE + ',"detail":' + DETAIL_JSON + "}"
EVENT_VARIABLE = ('{"id":"7bf73129-1428-4cd3-a780-95db273d1602","account":"123456789012",'
                  '"detailType":"Issue Detection Event","time":"2025-01-01T00:00:00Z",'
                  '"source":"cabruca.agents.monitor","region":"sa-east-1",'
                  '"resources":["arn:aws:ec2:sa-east-1:123456789012:instance/i-abcd1111"],"version":"0"}')

PATHS = {name: f"$.detail.{name}" for name in DETAIL if name != "a-b"}
PATHS.update({"dash": "$.detail.a-b", "missing": "$.detail.nothing-here", "instance": "$.detail.id", "time": "$.time"})


def rendered(target: dict[str, Any], **options: Any) -> str:
    return render_input(target, EVENT, rule_arn=RULE_ARN, rule_name=RULE_NAME, **options)


def transformed(template: str) -> str:
    return rendered({"InputTransformer": {"InputPathsMap": PATHS, "InputTemplate": template}})


@pytest.mark.parametrize(("target", "body"), [
    pytest.param({}, WHOLE_EVENT, id="no-input-whole-event-minified-in-aws-key-order"),
    pytest.param({"Input": '{ "constant" : true }'}, '{ "constant" : true }', id="input-verbatim"),
    pytest.param({"InputPath": "$.detail"}, DETAIL_JSON, id="input-path-object"),
    pytest.param({"InputPath": "$.detail.severity"}, '"HIGH"', id="input-path-string-keeps-quotes"),
    pytest.param({"InputPath": "$.detail.count"}, "3", id="input-path-number"),
    pytest.param({"InputPath": "$.resources[0]"}, '"arn:aws:ec2:sa-east-1:123456789012:instance/i-abcd1111"',
                 id="input-path-array-index"),
    pytest.param({"InputPath": "$"}, WHOLE_EVENT, id="input-path-root"),
    pytest.param({"InputPath": "$.detail.nothing-here"}, '""', id="input-path-missing-is-empty-string-inferred"),
])
def test_the_body_a_target_receives(target: dict[str, Any], body: str) -> None:
    assert rendered(target) == body


@pytest.mark.parametrize(("template", "body"), [
    # placeholders outside quotes go in as JSON values
    pytest.param('{"s": <severity>}', '{"s":"HIGH"}', id="string-outside-quotes-gets-quotes"),
    pytest.param('{"n": <count>, "r": <ratio>, "b": <ok>}', '{"n":3,"r":0.5,"b":true}', id="scalars-outside"),
    pytest.param('{"x": <none>}', '{"x":null}', id="json-null-outside"),
    pytest.param('{"t": <tags>, "o": <obj>}', '{"t":["a","b"],"o":{"k":"v"}}', id="array-object-outside"),
    pytest.param('{"q": <quote>}', r'{"q":"say \"hi\""}', id="quote-escaped-outside"),
    # inside quotes strings go in as string content
    pytest.param('{"s": "<severity>"}', '{"s":"HIGH"}', id="string-inside-quotes"),
    pytest.param('{"m": "<who> saw <severity>"}', '{"m":"monitor saw HIGH"}', id="two-placeholders-one-string"),
    pytest.param('{"path": "users/<who>/issues/<instance>"}', '{"path":"users/monitor/issues/i-0123456789"}',
                 id="placeholders-nested-in-string"),
    pytest.param('{"m": "<severity>-<severity>"}', '{"m":"HIGH-HIGH"}', id="same-placeholder-twice"),
    pytest.param('{"q": "<quote>"}', r'{"q":"say \"hi\""}', id="quote-escaped-inside"),
    pytest.param('{"p": "<slash>"}', r'{"p":"C:\\temp"}', id="backslash-escaped-inside"),
    pytest.param('{"m": "<multi>"}', r'{"m":"line1\nline2"}', id="newline-escaped-inside"),
    pytest.param('{"u": "<unicode>"}', '{"u":"café"}', id="non-ascii-as-itself"),
    pytest.param('{"m": "n=<count> r=<ratio> b=<ok> z=<none>"}', '{"m":"n=3 r=0.5 b=true z=null"}',
                 id="scalars-inside-as-json-text"),
    pytest.param('{"t": "<tags>"}', '{"t": "["a","b"]"}', id="array-inside-unescaped-breaks-json"),
    pytest.param('{"o": "<obj>"}', '{"o": "{"k":"v"}"}', id="object-inside-unescaped-breaks-json"),
    pytest.param('{"d": "<dash>"}', '{"d":"dash"}', id="path-with-dash"),
    pytest.param('{"i": "instance \\"<instance>\\" is in <state>"}',
                 r'{"i":"instance \"i-0123456789\" is in RUNNING"}', id="escaped-quotes-in-template"),
    # a path that selects nothing
    pytest.param('{"x": <missing>}', '{"x":""}', id="missing-outside-is-empty-string"),
    pytest.param('{"x": "[<missing>]"}', '{"x":"[]"}', id="missing-inside-is-nothing"),
    # string templates and other text
    pytest.param('"<who> reported <severity>"', '"monitor reported HIGH"', id="string-template-keeps-its-quotes"),
    pytest.param('"seen by <missing>"', '"seen by "', id="string-template-missing"),
    pytest.param('"{[/Check <severity>"', '"{[/Check HIGH"', id="string-template-odd-start"),
    pytest.param('"instance \\"<instance>\\" is in <state>"', '"instance \\"i-0123456789\\" is in RUNNING"',
                 id="string-template-escaped-quotes"),
    pytest.param("<who> reported <severity>", '"monitor" reported "HIGH"', id="non-json-text-inferred"),
    pytest.param("<count> issues", "3 issues", id="non-json-number"),
    # layout
    pytest.param('{\n  "a" : <severity> ,\n  "b": [ 1, 2 ],\n  "c": "two  spaces"\n}\n',
                 '{"a":"HIGH","b":[1,2],"c":"two  spaces"}', id="json-minified-strings-untouched"),
    pytest.param('"hello"\n', '"hello"', id="trailing-newline-of-heredoc"),
    pytest.param('{"a": "1 < 2", "b": <nope>}', '{"a": "1 < 2", "b": <nope>}', id="undefined-placeholder-left-as-text"),
    pytest.param('{"a": "<<severity>>"}', '{"a":"<HIGH>"}', id="angle-brackets-around-placeholder"),
])
def test_input_transformer_templates(template: str, body: str) -> None:
    assert transformed(template) == body


@pytest.mark.parametrize(("template", "body"), [
    pytest.param('{"arn": <aws.events.rule-arn>, "name": "rule <aws.events.rule-name>"}',
                 f'{{"arn":"{RULE_ARN}","name":"rule {RULE_NAME}"}}', id="rule-arn-and-name"),
    pytest.param('"<aws.events.rule-name> triggered"', f'"{RULE_NAME} triggered"', id="rule-name-in-string-template"),
    pytest.param('{"at": <aws.events.event.ingestion-time>}', '{"at":"2025-01-01T00:00:00.123Z"}',
                 id="ingestion-time-given"),
    pytest.param('{"original": <aws.events.event>}', '{"original":' + EVENT_VARIABLE + "}",
                 id="event-without-detail-detailType"),
    pytest.param('{"original": <aws.events.event.json>}', '{"original":' + WHOLE_EVENT + "}", id="event-json-whole"),
    pytest.param('{"e": "<aws.events.event.json>"}', '{"e": "' + WHOLE_EVENT + '"}', id="event-json-in-quotes-unescaped"),
])
def test_predefined_variables(template: str, body: str) -> None:
    transformer = {"InputTemplate": template}
    assert rendered({"InputTransformer": transformer}, ingestion_time="2025-01-01T00:00:00.123Z") == body


def test_ingestion_time_defaults_to_the_event_time() -> None:
    body = rendered({"InputTransformer": {"InputTemplate": '"at <aws.events.event.ingestion-time>"'}})
    assert body == '"at 2025-01-01T00:00:00Z"'


def test_predefined_variables_cannot_be_overwritten() -> None:
    transformer = {"InputPathsMap": {"aws.events.rule-name": "$.detail.who"}, "InputTemplate": '"<aws.events.rule-name>"'}
    assert rendered({"InputTransformer": transformer}) == f'"{RULE_NAME}"'


@pytest.mark.parametrize("target", [
    {"Input": "{}", "InputPath": "$.detail"},
    {"InputPath": "$.detail", "InputTransformer": {"InputTemplate": '"x"'}},
])
def test_more_than_one_kind_of_input_is_refused(target: dict[str, Any]) -> None:
    with pytest.raises(TargetInputError, match="Only one of Input, InputPath, or InputTransformer"):
        rendered(target)
    assert target_input_problems(target)


def test_a_path_cabructl_cannot_evaluate_is_not_rendered_as_missing() -> None:
    with pytest.raises(TargetInputError, match="cannot evaluate"):
        rendered({"InputPath": "$..severity"})


@pytest.mark.parametrize(("path", "result"), [
    ("$.detail.severity", (True, "HIGH")),
    ("$.detail['a-b']", (True, "dash")),
    ('$.detail["a-b"]', (True, "dash")),
    ("$.detail.a-b", (True, "dash")),
    ("$.resources[0]", (True, "arn:aws:ec2:sa-east-1:123456789012:instance/i-abcd1111")),
    ("$.resources[1]", (False, None)),
    ("$.detail.tags[1]", (True, "b")),
    ("$.detail.none", (True, None)),
    ("$.detail.nothing", (False, None)),
    ("$.detail.tags.length", (False, None)),
    ("$.detail.severity[0]", (False, None)),
    ("$.detail.tags[*]", (True, ["a", "b"])),
    ("$.detail.obj.*", (True, ["v"])),
    ("$.detail.nothing[*]", (True, [])),
    ("$", (True, EVENT)),
])
def test_select_path(path: str, result: tuple[bool, Any]) -> None:
    assert select_path(path, EVENT) == result


@pytest.mark.parametrize("path", ["detail.severity", "$..severity", "$.detail[", "$.resources[-1]", "$.a[?(@.b)]", "$.a b"])
def test_select_path_refuses_what_it_cannot_evaluate(path: str) -> None:
    with pytest.raises(ValueError):
        select_path(path, EVENT)


@pytest.mark.parametrize(("transformer", "fragment"), [
    ({"InputPathsMap": {"a": "$.a"}}, "InputTemplate is required"),
    ({"InputTemplate": ""}, "InputTemplate is required"),
    ({"InputTemplate": '"' + "x" * MAX_TEMPLATE_CHARS + '"'}, "at most 8192"),
    ({"InputTemplate": '"x"', "InputPathsMap": {f"k{i}": "$.a" for i in range(MAX_PATHS + 1)}}, "at most 100"),
    ({"InputTemplate": '"x"', "InputPathsMap": ["$.a"]}, "must be a map"),
    ({"InputTemplate": '"<aws.x>"', "InputPathsMap": {"aws.x": "$.a"}}, "reserved"),
    ({"InputTemplate": '"<AWS.x>"', "InputPathsMap": {"AWS.x": "$.a"}}, "reserved"),
    ({"InputTemplate": '"x"', "InputPathsMap": {"bad key": "$.a"}}, "A-Z a-z 0-9 _ -"),
    ({"InputTemplate": '"x"', "InputPathsMap": {"k" * 257: "$.a"}}, "1 to 256"),
    ({"InputTemplate": '"x"', "InputPathsMap": {"k": "$." + "a" * 255}}, "at most 256 characters"),
    ({"InputTemplate": '"x"', "InputPathsMap": {"k": 7}}, "JSON path of at most 256"),
    ({"InputTemplate": '"Event <k> with <notdefinedkey>"', "InputPathsMap": {"k": "$.a"}},
     "InputTemplate contains invalid placeholder notdefinedkey."),
    ({"InputTemplate": '{<k>: 1}', "InputPathsMap": {"k": "$.a"}}, "cannot be used as an object key"),
    ({"InputTemplate": '{"<k>": 1}', "InputPathsMap": {"k": "$.a"}}, "cannot be used as an object key"),
    ({"InputTemplate": '{"a": <k>,}', "InputPathsMap": {"k": "$.a"}}, "not valid JSON once its placeholders are filled"),
])
def test_transformer_problems(transformer: dict[str, Any], fragment: str) -> None:
    assert any(fragment in problem for problem in transformer_problems(transformer)), transformer_problems(transformer)


@pytest.mark.parametrize("transformer", [
    {"InputTemplate": '"<aws.events.rule-arn> <aws.events.rule-name> <aws.events.event.ingestion-time>"'},
    {"InputTemplate": '{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>}'},
    {"InputPathsMap": PATHS, "InputTemplate": '{"a": <severity>, "b": "x <who> \\"<state>\\"", "c": [9, <tags>, true]}'},
    {"InputPathsMap": {"k": "$..anything goes"}, "InputTemplate": '"<k>"'},  # AWS does not validate paths
    {"InputPathsMap": {}, "InputTemplate": "<aws.events.rule-name> is not JSON"},
    {"InputTemplate": '"x"', "InputPathsMap": {"k": "$." + "a" * 254}},
])
def test_transformers_put_targets_accepts(transformer: dict[str, Any]) -> None:
    assert transformer_problems(transformer) == []


@pytest.mark.parametrize(("target", "fragment"), [
    ({"Input": "not json"}, "not a valid JSON text"),
    ({"Input": '"' + "x" * 8192 + '"'}, "at most 8192"),
    ({"InputPath": "$." + "a" * 255}, "at most 256"),
    ({"InputTransformer": {"InputTemplate": '"<nope>"'}}, "invalid placeholder nope."),
])
def test_target_input_problems(target: dict[str, Any], fragment: str) -> None:
    assert any(fragment in problem for problem in target_input_problems(target))


def test_a_valid_target_has_no_problems() -> None:
    assert target_input_problems({"InputPath": "$.detail"}) == []
    assert target_input_problems({"Input": '{"a": 1}'}) == []


@pytest.mark.parametrize(("transformer", "fragment"), [
    ({"InputTemplate": '{"e": "<aws.events.event.json>"}'}, "can only be used as a JSON value"),
    ({"InputTemplate": '"<k>"', "InputPathsMap": {"k": "$.detail['a']"}}, "dot notation"),
    ({"InputTemplate": '"<k>"', "InputPathsMap": {"k": "$..a"}}, "cannot evaluate"),
])
def test_transformer_warnings(transformer: dict[str, Any], fragment: str) -> None:
    assert any(fragment in warning for warning in transformer_warnings(transformer))


def test_no_warnings_for_plain_use() -> None:
    transformer = {"InputPathsMap": {"k": "$.resources[0]"}, "InputTemplate": '{"e": <aws.events.event>, "k": "<k>"}'}
    assert transformer_warnings(transformer) == []
