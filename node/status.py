"""What `dorfhub status` reports: identity, log, clock, and anything an admin must look at.

Forked keys come first, in the JSON and on the terminal: a node that quarantined one drifts
apart from the rest of the network until an admin acts (node/forks.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from content.clock import to_iso, trusted_now
from content.dropped import dropped_counts
from content.fleet import MINUTE_MS, ago_words, span_words
from content.grants import roles_of
from content.log import Log
from content.notices import active_notices
from node.board import local
from node.forks import Fork, quarantined_here, reported_by_hubs
from node.home import Home
from node.terminal import terminal_safe
from sync.peers import peer_states

INBOUND = "inbound:"  # sync/server.py's record of a peer that reaches us


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


def render_status(status: dict[str, Any], now_ms: int) -> list[str]:
    """`dorfhub status` for a terminal, in sentences: forks first, then who this node is, its
    log, its clock and each peer with how long ago it was reached (`now_ms`: this machine's
    clock, which also stamped the peers' contacts). Names, reasons and errors come from other
    nodes: each line goes through `terminal_safe`."""
    lines = [fork_line(Fork(**fork)) for fork in status.get("forks", [])]
    if lines:
        lines.append("")
    lines.append(_who_line(status))
    if status["network"] is not None:
        lines += _log_lines(status)
        lines.append(_clock_line(status))
        peers = status["peers"]
        lines.append("Peers:" if peers else "Peers: none reached or known yet.")
        lines += [f"  {peer_line(peer, now_ms)}" for peer in peers]
        dropped = {what: count for what, count in status["dropped"].items() if count}
        if dropped:
            counts = ", ".join(f"{what} {count}" for what, count in sorted(dropped.items()))
            lines.append(f"Dropped at the limits (content/limits.py): {counts}.")
    megabytes = f"{status['database_bytes'] / 1e6:.1f}"
    lines.append(f"Database: {megabytes} MB, schema version {status['schema_version']}.")
    return [terminal_safe(line) for line in lines]


def _who_line(status: dict[str, Any]) -> str:
    role = status["role"]
    who = f"{status['name']}, {_article(role)} {role} (key {status['key'][:12]})"
    if status["network"] is None:
        return f"{who}, has joined no network yet."
    roles = ", ".join(status["granted_roles"]) or "none yet (an admin grants them)"
    return f"{who}, in network {status['network']}; granted roles: {roles}."


def _log_lines(status: dict[str, Any]) -> list[str]:
    notices = _counted(status["active_notices"], "notice")
    lines = [
        f"Log: {_counted(status['ops'], 'op')} by {_counted(status['authors'], 'author')}, "
        f"digest {status['digest']}; {notices} showing now."
    ]
    held, rejected = status["held_ops"], status["rejected_ops"]
    if held or rejected:
        lines.append(
            f"Parked: {_counted(held, 'op')} held until what they need arrives, "
            f"{rejected} rejected."
        )
    if status["quarantined"]:
        lines.append(f"Quarantined keys: {', '.join(status['quarantined'])}.")
    return lines


def _clock_line(status: dict[str, Any]) -> str:
    trusted = local(int(datetime.fromisoformat(status["trusted_now"]).timestamp() * 1000))
    skew_s = status["clock_skew_s"]
    if skew_s * 1000 < MINUTE_MS:
        return f"Clock: {trusted} (Berlin); this machine's clock is not behind signed time."
    lag = span_words(skew_s * 1000, False)
    verdict = " SUSPECT: notices start and end late here; set the clock" * status["clock_suspect"]
    return f"Clock: {trusted} (Berlin, signed time); this machine's clock lags {lag}.{verdict}"


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


def peer_line(peer: dict[str, Any], now_ms: int) -> str:
    """A peer, how far apart we were at the last contact, and how long ago that was."""
    url = peer["url"]
    if url.startswith(INBOUND):
        # A peer that reaches us is known by its key, not by an address.
        name = f"{peer['name'] or url.removeprefix(INBOUND)[:12]} (it connects here)"
    else:
        name = f"{peer['name']} ({url})" if peer["name"] else url
    if peer["last_success"] is None:
        return f"{name}: never reached; {peer['last_error']}"
    if peer["pending_in"] is None or peer["pending_out"] is None:
        state = "state unknown"
    else:
        state = sync_words(peer["pending_in"], peer["pending_out"])
    if peer["failures"] and state == "in sync":
        state = "was in sync"  # at that contact; what failed since may have missed something
    line = f"{name}: {state}, last contact {ago_words(now_ms, peer['last_success'])}"
    if peer["failures"]:
        failures = _counted(peer["failures"], "failure")
        line += f"; {failures} since, last: {peer['last_error']}"
    return line


def sync_words(behind: int, lacking: int) -> str:
    """ "in sync", "3 ops behind", "it lacks 1 of our ops" or both: `behind` counts the peer's
    ops we lack, `lacking` ours that it lacks."""
    parts = []
    if behind:
        parts.append(f"{_counted(behind, 'op')} behind")
    if lacking:
        parts.append(f"it lacks {_counted(lacking, 'op')} of ours")
    return ", ".join(parts) or "in sync"


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"
