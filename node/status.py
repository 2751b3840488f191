"""What `dorfhub status` reports: identity, log, clock, and anything an admin must look at."""

from __future__ import annotations

from typing import Any

from content.clock import to_iso, trusted_now
from content.grants import roles_of
from content.log import Log
from content.notices import active_notices
from node.home import Home
from sync.peers import peer_states


def node_status(home: Home, wall_ms: int) -> dict[str, Any]:
    config = home.config
    identity = home.identity()
    with home.store() as store:
        conn = store.conn
        network_id = store.network_id
        status: dict[str, Any] = {
            "name": config.name,
            "role": config.role,
            "key": identity.key_id,
            "network": network_id,
            "granted_roles": roles_of(conn, network_id, identity.key_id) if network_id else [],
            "schema_version": store.schema_version,
            "database_bytes": home.db_path.stat().st_size,
        }
        if network_id is None:
            return status
        log = Log(store)
        clock = trusted_now(conn, wall_ms)
        hub = identity.key_id if config.role == "hub" else None
        parked = dict(conn.execute("SELECT status, count(*) FROM parked_ops GROUP BY status"))
        status |= {
            "ops": log.count(),
            "authors": len(log.version_vector()),
            "digest": log.digest(),
            "held_ops": parked.get("held", 0),
            "rejected_ops": parked.get("rejected", 0),
            "quarantined": [row[0] for row in conn.execute("SELECT author FROM quarantine")],
            "active_notices": len(active_notices(conn, hub=hub, at_ms=clock.now_ms)),
            "trusted_now": to_iso(clock.now_ms),
            "wall_clock": to_iso(clock.wall_ms),
            "clock_skew_s": round(clock.skew_ms / 1000),
            "clock_suspect": clock.clock_suspect,
            "peers": [state.as_json() for state in peer_states(store)],
        }
        return status
