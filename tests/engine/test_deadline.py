"""A never-answering endpoint ends plan, apply and destroy at --timeout, not minutes later.

The endpoint here is a TCP server on 127.0.0.1 that accepts every connection and never
sends a byte: what a hung proxy or a half-dead load balancer looks like to botocore.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from typing import Iterator

import pytest
from click.testing import CliRunner

from cabructl import deadline
from cabructl.aws import Aws, AwsSettings
from cabructl.cli import cli
from cabructl.deadline import Deadline, DeadlineExceeded, WaitingLine, run_within, waiting_line
from cabructl.engine.drift import DriftTimeout
from support import TOPOLOGY

REGION = "sa-east-1"
ABANDONED = "AWS calls still in flight were abandoned"


class SilentEndpoint:
    """Accepts connections and never answers; stops itself after ``lifetime`` seconds at most."""

    def __init__(self, lifetime: float = 60.0) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._until = time.monotonic() + lifetime
        self._thread = threading.Thread(target=self._serve, name="silent-endpoint", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        """Accept and hold every connection, reading nothing and writing nothing."""
        while not self._stop.is_set() and time.monotonic() < self._until:
            try:
                connection, _ = self._listener.accept()
            except socket.timeout:
                continue
            self.accepted.append(connection)
        for connection in self.accepted:
            connection.close()
        self._listener.close()

    def stop(self) -> None:
        """Close every held connection: a client still waiting sees the connection drop."""
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def silent_endpoint() -> Iterator[SilentEndpoint]:
    endpoint = SilentEndpoint()
    yield endpoint
    endpoint.stop()


def _workers(name: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == name and thread.is_alive()]


# -- the commands ------------------------------------------------------------------------------

@pytest.mark.parametrize("command,hint", [
    (["plan"], "hint: raise --timeout"),
    (["apply", "--auto-approve"], "hint: writes already made stay made"),
    (["destroy", "--auto-approve"], "hint: writes already made stay made"),
], ids=["plan", "apply", "destroy"])
def test_a_silent_endpoint_ends_the_command_at_its_timeout(silent_endpoint: SilentEndpoint, command: list[str],
                                                          hint: str) -> None:
    started = time.monotonic()
    result = CliRunner().invoke(cli, [*command, "-f", str(TOPOLOGY), "--endpoint-url", silent_endpoint.url, "--timeout", "2"])
    elapsed = time.monotonic() - started

    assert result.exit_code == 1, result.output
    assert f"error[timeout]: the {command[0]} did not finish within 2 s; {ABANDONED}" in result.output
    assert hint in result.output
    assert "Traceback" not in result.output
    assert "waiting on AWS" not in result.output, "the waiting line is for a terminal only"
    assert elapsed < 30, f"took {elapsed:.0f} s: the point is seconds, not minutes"
    assert silent_endpoint.accepted, "the command never reached the endpoint"


def test_the_abandoned_worker_ends_once_the_endpoint_lets_go(silent_endpoint: SilentEndpoint) -> None:
    """The request on the wire fails when the connection drops; its retry is refused."""
    result = CliRunner().invoke(cli, ["plan", "-f", str(TOPOLOGY), "--endpoint-url", silent_endpoint.url, "--timeout", "1"])
    assert result.exit_code == 1
    waiting = _workers("cabructl-deadline")
    assert waiting, "the abandoned worker should still be waiting on the endpoint"
    silent_endpoint.stop()
    for worker in waiting:
        worker.join(timeout=15)
        assert not worker.is_alive()


def test_timeout_must_be_positive() -> None:
    result = CliRunner().invoke(cli, ["plan", "-f", str(TOPOLOGY), "--timeout", "0"])
    assert result.exit_code == 64  # a usage error, never "changes found" (2)
    assert "--timeout" in result.output


def test_help_documents_the_defaults() -> None:
    for command, default in (("plan", "300"), ("apply", "600"), ("destroy", "600")):
        text = CliRunner().invoke(cli, [command, "--help"]).output
        assert "--timeout SECONDS" in text and f"default: {default}" in " ".join(text.split()), command


# -- run_within and Deadline -----------------------------------------------------------------------

def test_run_within_abandons_the_work_and_refuses_its_later_requests(silent_endpoint: SilentEndpoint) -> None:
    aws = Aws(AwsSettings(region=REGION, endpoint_url=silent_endpoint.url))
    refused: list[Exception] = []

    def work() -> None:
        time.sleep(0.5)  # the deadline passes here
        try:
            aws.client("sts").get_caller_identity()
        except Exception as error:  # noqa: BLE001 - what the abandoned worker saw
            refused.append(error)

    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match=f"^the AWS work did not finish within 0.2 s; {ABANDONED}$"):
        run_within(0.2, work, aws, thread_name="test-abandoned")
    assert time.monotonic() - started < 1
    for worker in _workers("test-abandoned"):
        worker.join(timeout=5)
        assert not worker.is_alive()
    assert [str(error) for error in refused] == ["AWS work abandoned after 0.2 s"]
    assert silent_endpoint.accepted == [], "a request was sent after the deadline"


def test_run_within_returns_the_value_or_reraises_the_error() -> None:
    aws = Aws(AwsSettings(region=REGION))
    assert run_within(5, lambda: 42, aws) == 42
    with pytest.raises(ZeroDivisionError):
        run_within(5, lambda: 1 / 0, aws)


def test_one_budget_is_spent_across_phases() -> None:
    """apply plans, then writes: the writes get what the planning left, and the error names the whole budget."""
    budget = Deadline(1.0, Aws(AwsSettings(region=REGION)), doing="apply")
    budget.run(lambda: time.sleep(0.6))
    assert 0.2 < budget.remaining < 0.45
    with pytest.raises(DeadlineExceeded, match=f"^the apply did not finish within 1 s; {ABANDONED}$"):
        budget.run(lambda: time.sleep(0.6))
    assert budget.remaining == 0


def test_the_errors_name_their_reference() -> None:
    assert DeadlineExceeded.reference == "timeout"
    assert issubclass(DriftTimeout, DeadlineExceeded) and DriftTimeout.reference == "drift-timeout"


# -- the waiting line ------------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_waiting_line_is_drawn_on_a_terminal_and_erased_at_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deadline, "REDRAW_SECONDS", 0.05)
    terminal = _Terminal()
    line = waiting_line(terminal)
    assert isinstance(line, WaitingLine)
    run_within(5, lambda: time.sleep(0.3), Aws(AwsSettings(region=REGION)), progress=line)
    written = terminal.getvalue()
    assert written.startswith("\rwaiting on AWS… 0 s")
    width = len("waiting on AWS… 0 s")
    assert written.endswith("\r" + " " * width + "\r"), repr(written)


def test_no_waiting_line_without_a_terminal() -> None:
    assert waiting_line(io.StringIO()) is None


# -- the client timeouts ---------------------------------------------------------------------------

def test_clients_give_up_on_a_silent_read_in_seconds_and_sqs_allows_for_long_polling() -> None:
    aws = Aws(AwsSettings(region=REGION))
    assert aws.client("events").meta.config.read_timeout == 15
    assert aws.client("events").meta.config.connect_timeout == 5
    assert aws.client("sqs").meta.config.read_timeout == 15 + 20  # ReceiveMessage may wait 20 s on purpose
