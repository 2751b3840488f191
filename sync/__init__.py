"""How ops move between nodes: wire protocol, HTTP peer API, client, zeroconf discovery, enrollment
and USB bundles (issue 3)."""
