"""The design built for real in network namespaces (FRR, nftables), as an oracle for the model.

Layers: ``topology`` (what to build, no dependency on the engine), ``netns`` (build, probe,
tear down), ``translate`` (design + flows -> topology), ``flowspec`` (the model's flows),
``run`` (end to end, with the comparison).
"""

from erplan.emulate.netns import (
    EmulationError,
    Network,
    build,
    cleanup_leftovers,
    leftover_namespaces,
    missing_tools,
)
from erplan.emulate.topology import Topology, TopologyError

__all__ = [
    "EmulationError",
    "Network",
    "Topology",
    "TopologyError",
    "build",
    "cleanup_leftovers",
    "leftover_namespaces",
    "missing_tools",
]
