"""The design built for real in network namespaces (FRR, nftables), as an oracle for the model.

The emulation reads the design and the catalogs only: it builds the network
(``network``: the design as namespaces, links, routes, FRR and nftables configuration;
``netns``: build, converge, tear down), derives every flow (``flows``), opens real connections
(``probe``, with the servers of ``agent``) and reports what happened (``run``). BGP, OSPF and
the kernel make every routing and state decision; nothing is taken from the flow engine.

This module imports nothing so that the helpers started inside namespaces
(``python -m erplan.emulate.agent``) start fast.
"""
