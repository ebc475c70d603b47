"""AWS limits and fixed values cabructl encodes, in one place (see AWS-FACTS in the docs).

Prices and budget rules are not here: they are policy data in ``policies/``.
"""

from __future__ import annotations

import re

# Ownership tags: stateless ownership, no state file (DESIGN: "owned by tags").
TAG_MANAGED_BY = "managed-by"
TAG_MANAGED_BY_VALUE = "cabructl"
TAG_TOPOLOGY = "cabructl:topology"
# The address a taggable resource answers to (``sqs.queue.cicd-changes``): a renamed resource is
# still found at its address, so a new ``name:`` is a replace, never a silent re-pointing.
TAG_ADDRESS = "cabructl:address"
# Between two live resources that claim one address, the one that is not the declared one is
# shown at ``<address>~<AWS name>`` (and deleted); ``~`` appears in no AWS name this tool manages.
ADDRESS_CLAIM_SEPARATOR = "~"

DEFAULT_NAME_PREFIX = "{project}-{environment}-"

# EventBridge
MAX_RULES_PER_BUS = 300
MAX_WILDCARD_RULES_PER_BUS = 30
MAX_TARGETS_PER_RULE = 5
PUT_TARGETS_BATCH = 10
MAX_PATTERN_CHARS = 2048
PUT_EVENTS_MAX_ENTRIES = 10
PUT_EVENTS_MAX_BYTES = 256 * 1024
EVENT_CHUNK_BYTES = 64 * 1024
# PutEvents: "For the JSON number (integer) data type, the constraints are: a minimum value of
# -9,223,372,036,854,775,808 and a maximum value of 9,223,372,036,854,775,807."
PUT_EVENTS_INTEGER_RANGE = (-(2**63), 2**63 - 1)
# Deepest nesting of objects and arrays in event JSON (the outermost counts as level 1): in any
# JSON text read as an event (--detail, event and entries files, a Detail string, a DLQ message
# body) and in any event sent or routed, envelope included. PutEvents documents "nested JSON up
# to 1000 levels deep", but Python's json parses and pretty-prints by recursion against a
# 1000-frame limit that the whole call stack shares (`dlq show` prints bodies indented, ~3
# frames a level), so 1000 is unsafe here. Agent events nest a handful of levels; 64 is far
# above any real one and far below any recursion trouble.
EVENT_JSON_MAX_DEPTH = 64
RETRY_ATTEMPTS_RANGE = (0, 185)
RETRY_MAX_AGE_RANGE = (60, 86_400)
RETRY_DEFAULTS = {"attempts": 185, "max_age": 86_400}

# SQS (seconds)
SQS_RETENTION_RANGE = (60, 1_209_600)
SQS_RETENTION_DEFAULT = 345_600
SQS_VISIBILITY_RANGE = (0, 43_200)
SQS_VISIBILITY_DEFAULT = 30
SQS_RECEIVE_WAIT_RANGE = (0, 20)
SQS_DELAY_RANGE = (0, 900)
SQS_FIFO_SUFFIX = ".fifo"  # a FIFO queue's name must end so
SQS_MAX_RECEIVES_RANGE = (1, 1000)  # RedrivePolicy maxReceiveCount
SQS_MAX_RECEIVES_DEFAULT = 5
SQS_RECEIVE_MAX_MESSAGES = 10  # ReceiveMessage MaxNumberOfMessages, and the batch size of DeleteMessageBatch
SQS_LONG_POLL_SECONDS = 20  # ReceiveMessage WaitTimeSeconds at its maximum
SQS_MESSAGE_ATTRIBUTES_MAX = 10  # message attributes per SQS message


def long_poll_seconds(receive_wait: int) -> int:
    """How long a consumer's ReceiveMessage waits on a queue declaring ``receive_wait`` seconds: that,
    or the longest wait when the queue does not long-poll (a short poll mostly finds nothing and bills
    every call). The SDK consumes this way and the cost model counts empty receives this way."""
    return receive_wait if receive_wait > 0 else SQS_LONG_POLL_SECONDS


# Message attributes a consumer (the SDK, `cabructl consume`) sets on a message it sends to the
# dead-letter queue itself (unparseable, or failing its schema); `dlq show` reads them back.
# EventBridge's own letters carry RULE_ARN, TARGET_ARN, ERROR_CODE and ERROR_MESSAGE instead.
CONSUMER_REASON_ATTRIBUTE = "CABRUCTL_CONSUMER_REASON"  # why the consumer gave up, one line
CONSUMER_QUEUE_ATTRIBUTE = "CABRUCTL_SOURCE_QUEUE"  # the ARN of the queue it was received from
CONSUMER_RECEIVES_ATTRIBUTE = "CABRUCTL_RECEIVE_COUNT"  # ApproximateReceiveCount when it gave up
CONSUMER_AGENT_ATTRIBUTE = "CABRUCTL_CONSUMER"  # the consuming agent's id

# DynamoDB: the idempotency table (seconds)
IDEMPOTENCY_IN_PROGRESS_EXPIRY = 300  # a crashed consumer blocks an event id at most this long

# CloudWatch Logs
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
MAX_LOG_RESOURCE_POLICIES = 10
MAX_LOG_RESOURCE_POLICY_CHARS = 5120

# Schemas
SCHEMA_CONTENT_CHARS = (1, 100_000)

# IAM
IAM_MAX_POLICY_VERSIONS = 5

# Name rules per resource kind: (maximum length, allowed characters).
NAME_RULES: dict[str, tuple[int, re.Pattern[str]]] = {
    "bus": (256, re.compile(r"^[/\.\-_A-Za-z0-9]+$")),
    "archive": (48, re.compile(r"^[\.\-_A-Za-z0-9]+$")),
    "rule": (64, re.compile(r"^[\.\-_A-Za-z0-9]+$")),
    "target id": (64, re.compile(r"^[\.\-_A-Za-z0-9]+$")),
    "registry": (64, re.compile(r"^[\.\-_A-Za-z@0-9]+$")),
    "schema": (385, re.compile(r"^[\.\-_A-Za-z@0-9]+$")),
    "queue": (80, re.compile(r"^[A-Za-z0-9_-]+(\.fifo)?$")),
    "topic": (256, re.compile(r"^[A-Za-z0-9_-]+(\.fifo)?$")),
    "log group": (512, re.compile(r"^[\.\-_/#A-Za-z0-9]+$")),
    "dashboard": (255, re.compile(r"^[A-Za-z0-9_-]+$")),
    "alarm": (255, re.compile(r"^[^\x00-\x1f]+$")),
    "policy": (128, re.compile(r"^[\w+=,.@-]+$")),
    "table": (255, re.compile(r"^[A-Za-z0-9_.-]{3,}$")),
}

# A YAML document whose aliases (``*name``, ``<<: *name``) would add more than this many nodes
# is refused (alias bombs). Only nodes added by aliases count: a large file written out plainly is
# no bomb, and MAX_INPUT_FILE_BYTES bounds it.
MAX_DOCUMENT_NODES = 100_000

# --- Input files: topology.yaml, its schema files (YAML or JSON) and policy data ---------------

# Deepest nesting of mappings and lists read (the top-level mapping is level 1). Checked while
# parsing, before anything recursive sees the data: a topology is about 8 levels deep, an event
# schema rarely 20, and 64 stays far from Python's recursion limit for jsonschema and the checks.
MAX_NESTING_DEPTH = 64
# Largest input file read. The real topology is 8 KB and the schema registry takes 100,000
# characters of content; a larger file is a mistake (or /dev/zero), not a topology.
MAX_INPUT_FILE_BYTES = 16 * 1024 * 1024
# Every number read must lie within a signed 64-bit integer's range (as PUT_EVENTS_INTEGER_RANGE):
# no AWS limit is larger. Judged from the source text, before Python's 4,300-digit int/str
# conversion limit can raise.
INPUT_NUMBER_RANGE = (-(2**63), 2**63 - 1)


# --- SNS, CloudWatch Logs, CloudWatch, IAM handlers (added with those handlers) ---------------

# The statements of every topic policy cabructl writes: the account's own access (what SNS's
# default policy allows) and the cost alarm's publishing (sns_topic.py says why).
SNS_OWNER_STATEMENT_ID = "TopicOwner"
SNS_ALARM_STATEMENT_ID = "AllowCostAlarm"
# SNS's default statement also grants SetTopicAttributes, AddPermission and RemovePermission:
# permissions management, which a resource policy need not delegate (parliament's
# PERMISSIONS_MANAGEMENT_ACTIONS). The account's own principals manage the topic through their
# identity policies, which suffice within one account.
SNS_OWNER_ACTIONS = (
    "SNS:GetTopicAttributes", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish",
)

# The one Logs resource policy a topology shares across its log groups: "<prefix>" + this.
LOG_RESOURCE_POLICY_SUFFIX = "eventbridge-logs"

# CloudWatch metric namespaces and the cost alarm's fixed settings.
EVENTS_NAMESPACE = "AWS/Events"
SQS_NAMESPACE = "AWS/SQS"
ALARM_COMPARISON = "GreaterThanOrEqualToThreshold"
ALARM_TREAT_MISSING_DATA = "notBreaching"
ALARM_TREAT_MISSING_DATA_DEFAULT = "missing"  # what CloudWatch reports when it was never set

# Dashboard grid: CloudWatch's is 24 units wide; two graphs per row.
DASHBOARD_GRID_WIDTH = 24
DASHBOARD_WIDGET_HEIGHT = 6

# -- delivery failures (EventBridge user guide, "Using dead-letter queues": the ERROR_CODE values) --
DELIVERY_ERROR_CODES = frozenset({
    "CONNECTION_FAILURE", "CROSS_ACCOUNT_INGESTION_FAILED", "CROSS_REGION_INGESTION_FAILED", "ERROR_FROM_TARGET",
    "EVENTS_IN_BATCH_REQUEST_REJECTED", "FAILED_TO_ASSUME_ROLE", "INTERNAL_ERROR", "INVALID_JSON", "INVALID_PARAMETER",
    "NO_PERMISSIONS", "NO_RESOURCE", "RESOURCE_ALREADY_EXISTS", "RESOURCE_LIMIT_EXCEEDED",
    "RESOURCE_MODIFICATION_COLLISION", "SDK_CLIENT_ERROR", "THIRD_ACCOUNT_HOP_DETECTED", "THIRD_REGION_HOP_DETECTED",
    "THROTTLING", "TIMEOUT", "TRANSIENT_ASSUME_ROLE", "UNKNOWN",
})
# Missing permissions and missing targets go to the DLQ at once, without retries (the same guide);
# other 4xx answers are not retried either (only 5xx and 429 are: "EventBridge retries and DLQ" knowledge-center article).
DELIVERY_ERRORS_NOT_RETRIED = frozenset({"NO_PERMISSIONS", "NO_RESOURCE", "FAILED_TO_ASSUME_ROLE", "INVALID_PARAMETER",
                                         "INVALID_JSON", "RESOURCE_LIMIT_EXCEEDED"})
# The failure `local serve --fail TARGET_ID` injects when no code is given: a retried one, so retries are seen.
DEFAULT_INJECTED_ERROR = "INTERNAL_ERROR"
# AWS backs off exponentially with jitter (the delay schedule is not published): first delay and cap, in seconds.
RETRY_BACKOFF_SECONDS = (1.0, 300.0)
EVENTS_SERVICE_PRINCIPAL = "events.amazonaws.com"
# The condition keys PutEvents is authorized on, per entry (the IAM reference for EventBridge).
PUT_EVENTS_SOURCE_KEY = "events:source"
PUT_EVENTS_DETAIL_TYPE_KEY = "events:detail-type"

# -- CloudWatch namespaces of the services whose metrics the local endpoint records --
# (cabructl.local.service_metrics; SQS_NAMESPACE above is the fourth)
LOGS_NAMESPACE = "AWS/Logs"
SNS_NAMESPACE = "AWS/SNS"
DYNAMODB_NAMESPACE = "AWS/DynamoDB"
# Their metric names (the SQS, CloudWatch Logs, SNS and DynamoDB monitoring guides): what the local
# endpoint records and what `cabructl cost` reads beside the model.
SQS_SENT = "NumberOfMessagesSent"
SQS_RECEIVED = "NumberOfMessagesReceived"
SQS_DELETED = "NumberOfMessagesDeleted"
SQS_EMPTY_RECEIVES = "NumberOfEmptyReceives"
LOGS_EVENTS = "IncomingLogEvents"
LOGS_BYTES = "IncomingBytes"
SNS_PUBLISHED = "NumberOfMessagesPublished"
SNS_DELIVERED = "NumberOfNotificationsDelivered"
SNS_FAILED = "NumberOfNotificationsFailed"
SNS_FILTERED_OUT = "NumberOfNotificationsFilteredOut"
DYNAMODB_WRITE_UNITS = "ConsumedWriteCapacityUnits"
DYNAMODB_CONDITION_FAILED = "ConditionalCheckFailedRequests"
