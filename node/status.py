"""What `dorfhub status` reports: identity, log, clock, and anything an admin must look at.

Forked keys come first, in the JSON and on the terminal: a node that quarantined one drifts
apart from the rest of the network until an admin acts (node/forks.py)."""

from __future__ import annotations

from typing import Any

from content.clock import to_iso, trusted_now
from content.dropped import dropped_counts
from content.grants import roles_of
from content.log import Log
from content.notices import active_notices
from node.forks import Fork, quarantined_here, reported_by_hubs
from node.home import Home
from node.terminal import terminal_safe
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
            # What the limits of content/limits.py made this node drop: a count that grows
            # means some peer is pushing against them.
            "dropped": dropped_counts(conn),
        }
        forks = quarantined_here(conn) + reported_by_hubs(conn, identity.key_id)
        return {"forks": [fork.as_json() for fork in forks], **status}


def render_status(status: dict[str, Any]) -> list[str]:
    """`dorfhub status` for a terminal: forks first, then one line per field and per peer.
    Names, reasons and errors come from other nodes: each line goes through `terminal_safe`."""
    lines = [fork_line(Fork(**fork)) for fork in status.get("forks", [])]
    if lines:
        lines.append("")
    for key, value in status.items():
        if key not in ("forks", "peers"):
            lines.append(f"{key:<16} {value}")
    lines += [f"{'peer':<16} {peer_line(peer)}" for peer in status.get("peers", [])]
    return [terminal_safe(line) for line in lines]


def fork_line(fork: Fork) -> str:
    roles = ", ".join(fork.roles) or "no role"
    key = f"key {fork.name or 'unknown'} ({roles}, {fork.author})"
    if fork.seen_by is None:
        what, who = f"this node quarantined {key}: {fork.reason}", "This node"
    else:
        what, who = f"hub {fork.seen_by} reports it quarantined {key}", "That hub"
    if fork.revoked:
        return f"fork (key revoked, handled): {what}"
    return (
        f"FORK: {what}. {who} refuses the key's ops and drifts apart from the network until an "
        "admin revokes the key and issues a new one (docs/admin-publishing.md, When a key forks)."
    )


def peer_line(peer: dict[str, Any]) -> str:
    """How far apart we and a peer were at the last contact."""
    name = f" ({peer['name']})" if peer.get("name") else ""
    if peer["last_success"] is None:
        return f"{peer['url']}{name}: never reached; {peer['last_error']}"
    contact = f"last contact {_when(peer['last_success'])}"
    if peer["in_sync"]:
        state = "in sync"
    else:
        state = f"we lack {peer['pending_in']} of its ops, it lacks {peer['pending_out']} of ours"
    if peer["failures"]:
        contact += f"; {peer['failures']} failures since, last: {peer['last_error']}"
    return f"{peer['url']}{name}: {state} ({contact})"


def _when(ms: int) -> str | None:
    return to_iso(ms - ms % 1000)
