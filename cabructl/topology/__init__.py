"""The topology language: load, validate and model topology.yaml."""

from cabructl.topology.loader import check_topology, load_topology, topology_schema
from cabructl.topology.model import Topology

__all__ = ["Topology", "check_topology", "load_topology", "topology_schema"]
