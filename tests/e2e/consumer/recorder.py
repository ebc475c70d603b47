"""Handlers for the consumer's end-to-end tests: each appends what it saw to $RECORD_FILE.

A line is written when a handler *finishes* (``done <event id>``), so a handler killed
mid-run leaves no line; ``attempt`` lines count every call of the failing handler.
Events whose ``n`` is listed in $SLOW_EVENTS sleep 60 s first (to be killed mid-run).
"""

import os
import time


def _write(line: str) -> None:
    with open(os.environ["RECORD_FILE"], "a", encoding="utf-8") as record:
        record.write(line + "\n")
        record.flush()
        os.fsync(record.fileno())


def record(event, context):
    slow = {int(n) for n in os.environ.get("SLOW_EVENTS", "").split(",") if n}
    if event.to_detail()["n"] in slow:
        time.sleep(60)
    _write(f"done {context.event_id}")


def fail(event, context):
    _write(f"attempt {context.event_id}")
    raise RuntimeError("this handler always fails")
