"""Files for the devices of a design: PAC files for the clients, bypass and address lists for
the proxies and firewalls on each path. Each is rendered from the flow engine's answers for the
design (``decisions``), never from the catalog's flags alone."""
