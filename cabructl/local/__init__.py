"""The embedded local AWS endpoint: moto on loopback, plus what cabructl needs that moto lacks.

``LocalAws`` runs it in-process (tests, the demo); ``cabructl local serve`` runs it in
the foreground and records it so that ``--local`` finds it via ``running_endpoint()``.
Importing this package stays cheap: moto is loaded only when an endpoint starts.
"""

from cabructl.local.server import LocalAws, LocalEndpointError
from cabructl.local.state import running_endpoint

__all__ = ["LocalAws", "LocalEndpointError", "running_endpoint"]
