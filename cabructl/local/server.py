"""An AWS endpoint inside this process: moto's server plus what cabructl adds to it.

:class:`LocalAws` serves moto's WSGI application on a loopback port from a
background thread, behind a router that answers the EventBridge Schemas API
itself (see :mod:`cabructl.local.schemas`); starting it also routes PutEvents
with cabructl's matcher and delivers as EventBridge does, permissions, retries,
dead letters and metrics included (see :mod:`cabructl.local.eventbus` and
:mod:`cabructl.local.delivery`), answers the ``/_cabructl/`` control calls
(:mod:`cabructl.local.failures`), runs Lambda functions' Python handlers and records what it
invoked (:mod:`cabructl.local.invocations`), and keeps SNS http(s) deliveries on loopback
(see :mod:`cabructl.local.sns_loopback`).
In front of it all, :class:`cabructl.local.origins.OriginGuard` refuses browser
origins, so a web page cannot use the endpoint unless it was allowed by name.

moto keeps its state in process-global backends, and the Schemas store follows
suit, so several endpoints started in one process (on different ports) serve the
*same* resources: a queue created through one is visible through all. Use
distinct names, or separate processes, for isolation.

moto and flask are imported on :meth:`LocalAws.start`, not with this module.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from cabructl.errors import CabructlError
from cabructl.hosts import is_loopback

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.local.delivery import LocalDelivery
    from cabructl.local.failures import InjectedFailures

LOOPBACK = "127.0.0.1"
FAKE_CREDENTIAL = "testing"
DEFAULT_REGION = "us-east-1"
_POLL_SECONDS = 0.1  # how quickly stop() is noticed by the serving thread


class LocalEndpointError(CabructlError):
    """The local endpoint cannot be started as asked."""

    reference = "local-endpoint"


class LocalAws:
    """moto + the Schemas API + SNS delivery, on ``http://host:port``.

    >>> with LocalAws(port=0) as aws:
    ...     boto3.client("sqs", **aws.client_kwargs()).list_queues()

    Binding anything but loopback exposes an unauthenticated AWS look-alike to the
    network, so it needs ``allow_remote=True``. Port 0 picks a free port;
    :attr:`port` and :attr:`endpoint_url` then report the real one. Browser pages
    are refused except those whose origins are in ``allowed_origins``
    (e.g. ``["http://localhost:3000"]`` for a local web console).

    ``functions`` (function name → a Python callable) runs those Lambda functions' invocations
    in this process (:mod:`cabructl.local.invocations`); ``failures`` (target id → AWS error code) makes deliveries to those targets fail,
    ``time_scale`` compresses AWS's retry backoff (0.01: a minute takes 0.6 s), and
    ``enforce_permissions=False`` delivers whatever the resource policies say.
    """

    def __init__(
        self,
        host: str = LOOPBACK,
        port: int = 0,
        region: str = DEFAULT_REGION,
        *,
        allow_remote: bool = False,
        log_requests: bool = False,
        allowed_origins: Iterable[str] = (),
        failures: Mapping[str, str] | None = None,
        time_scale: float | None = None,
        enforce_permissions: bool = True,
        functions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        from cabructl.local.failures import check_error_code
        from cabructl.local.origins import allowed_origins as checked_origins

        if not allow_remote and not is_loopback(host):
            raise LocalEndpointError(
                f"refusing to bind the local AWS endpoint to {host}: it accepts any credentials, so it only listens on loopback",
                hint="use --host 127.0.0.1 (the default)",
            )
        self.host = host.strip("[]")  # "[::1]" as in a URL, or "::1"
        self.region = region
        self._requested_port = port
        self._log_requests = log_requests
        self._allow_remote = allow_remote
        self.allowed_origins = checked_origins(allowed_origins)  # a bad value fails here, not at start()
        for code in (failures or {}).values():
            check_error_code(code)  # a bad value fails here, not at start()
        if time_scale is not None and time_scale <= 0:
            raise LocalEndpointError(f"the time scale must be positive, not {time_scale}")
        self._failures = dict(failures or {})
        self._time_scale = time_scale
        self._enforce_permissions = enforce_permissions
        self._functions = dict(functions or {})
        self.delivery: LocalDelivery | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> LocalAws:
        """Bind and serve in a daemon thread; returns once the port accepts connections."""
        if self._server is not None:
            return self
        from werkzeug.serving import make_server

        from cabructl.local import eventbus
        from cabructl.local.failures import control_app

        from cabructl.local.invocations import INVOCATIONS

        for name, handler in self._functions.items():
            INVOCATIONS.register(name, handler)
        control = control_app(lambda: self.failures, lambda: self.delivery.counts() if self.delivery else {}, INVOCATIONS)
        with _listening_socket(self.host, self._requested_port) as listener:
            # werkzeug serves a duplicate of our socket: binding it ourselves keeps werkzeug
            # from answering a taken port with print() and sys.exit().
            self._server = make_server(
                self.host,
                self._requested_port,
                build_app(self.allowed_origins, loopback_hosts_only=not self._allow_remote, control=control),
                threaded=True,
                request_handler=_request_handler(self._log_requests),
                fd=listener.fileno(),
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"cabructl-local-aws:{self.port}",
            daemon=True,
        )
        self._thread.start()
        self.delivery = eventbus.attach(self.endpoint_url, self.region, failures=self._failures, time_scale=self._time_scale,
                                        enforce_permissions=self._enforce_permissions, app=self._server.app)
        return self

    @property
    def failures(self) -> InjectedFailures:
        """The injected delivery failures (shared by the endpoints of this process, as their state is)."""
        if self.delivery is None:
            raise RuntimeError("the local endpoint is not started")
        return self.delivery.failures

    def stop(self) -> None:
        """Stop serving and release the port; state in moto's backends is kept (it is process-global)."""
        if self._server is None:
            return
        from cabructl.local import eventbus

        eventbus.detach(self.endpoint_url)
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the local endpoint is not started")
        return int(self._server.server_address[1])

    @property
    def endpoint_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment that points boto3 (and the AWS CLI) at this endpoint with fake credentials."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": FAKE_CREDENTIAL,
            "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIAL,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def client_kwargs(self) -> dict[str, str]:
        """The same as :meth:`env`, as keyword arguments for ``boto3.client``/``Session.client``."""
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": FAKE_CREDENTIAL,
            "aws_secret_access_key": FAKE_CREDENTIAL,
        }

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.stop()


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":  # restart on a port in TIME_WAIT; on Windows the option would allow port stealing
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(socket.SOMAXCONN)
    except OSError as error:
        listener.close()
        raise LocalEndpointError(
            f"cannot listen on {host}:{port}: {error.strerror or error}",
            hint="choose another --port, or --port 0 for a free one",
        ) from None
    return listener


def build_app(allowed_origins: Iterable[str] = (), *, loopback_hosts_only: bool = True, control: Any = None) -> Any:
    """The WSGI application: Schemas requests to cabructl's implementation, ``/_cabructl/``
    to ``control``, the rest to moto.

    All of it sits behind the origin guard, which also removes the CORS headers
    moto's flask-cors would add for any origin. ``loopback_hosts_only`` refuses
    requests whose ``Host`` is not loopback (DNS rebinding); only a remote bind turns it off.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from cabructl.local.jsonpath_cache import install_jsonpath_cache
    from cabructl.local.origins import OriginGuard
    from cabructl.local.routing import ServiceRouter
    from cabructl.local.schemas import SERVICE_NAME, schemas_app
    from cabructl.local.service_metrics import install_service_metrics
    from cabructl.local.eventbus import install_event_routing, routed_here
    from cabructl.local.invocations import install_function_handlers
    from cabructl.local.sns_loopback import install_sns_loopback_only
    from cabructl.local.sqs_redrive_allow import install_redrive_allow_read_back
    from cabructl.local.sqs_retention import install_direct_retention_check
    from cabructl.local.tag_index import install_rule_tag_index

    install_event_routing()
    install_function_handlers(routed_here)
    install_sns_loopback_only()
    install_service_metrics(routed_here)
    install_rule_tag_index()
    install_redrive_allow_read_back()
    install_direct_retention_check()
    install_jsonpath_cache()
    router = ServiceRouter(DomainDispatcherApplication(create_backend_app), {SERVICE_NAME: schemas_app()}, control=control)
    return OriginGuard(router, allowed_origins, loopback_hosts_only=loopback_hosts_only)


def _request_handler(log_requests: bool) -> Any:
    """werkzeug's handler, silenced unless asked: one log line per AWS call drowns a terminal."""
    from werkzeug.serving import WSGIRequestHandler

    if log_requests:
        return WSGIRequestHandler

    class QuietRequestHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    return QuietRequestHandler


@contextlib.contextmanager
def stop_signals() -> Iterator[Callable[[], None]]:
    """Within the block, SIGINT and SIGTERM ask to stop instead of killing the process.

    Yields a function that blocks until one arrives. Installed before the endpoint
    starts, so no signal can slip past the clean shutdown (state file removed, port
    released), whether it comes from a user's Ctrl-C or from a supervisor.
    """
    stop = threading.Event()

    def wait() -> None:
        while not stop.wait(_POLL_SECONDS * 5):
            pass

    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield wait
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
