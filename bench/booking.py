"""Booking benchmark: the town server's allocation throughput, and request-to-decision time.

Run from the repository root: `.venv/bin/python bench/booking.py [--quick]`. Prints a table and
always exits 0; nothing is asserted. See bench/README.md.

1. Allocation: 10,000 booking requests (sealed, from 20 hubs) over 1,000 slots of capacity 5
   are in the town server's store; one `allocate()` decides them all in arrival order (half are
   confirmed; half are rejected, each with alternatives and a sealed help request for a guide).
   Beside it, in the same run: the raw Ed25519 sign rate, a plain `Log.append` rate and the
   sealing rate, since every decision is a signed op and every rejection seals a help request.
2. Round trip: real `dorfhub serve` and `dorfhub hub` processes on 127.0.0.1; a request is
   appended on the hub's database (as the kiosk does) and the time until the server's decision
   is in the hub's database is measured. Goal: under 2 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import msgspec
from oplog import Row, machine, percentile, table, verdict
from repo_first import REPO  # before any package: puts them ahead of this directory

from content import booking, grants
from content.booking_allocation import allocate
from content.clock import wall_clock_ms
from content.identity import Identity
from content.log import Log
from content.sealing import seal
from node.home import Home
from node.listen import wait_for_ready_file
from node.practices import RecordFields, create_practice
from node.setup import init_network, init_node

HUBS = 20
CAPACITY = 5
ROUND_TRIPS = 20
GOAL_S = 2.0
READY_TIMEOUT_S = 30.0
PERSON = booking.Person("Erika Mustermann", "1944-08-12", "08555 123456", consent=True)


def timed(action: object) -> float:
    assert callable(action)
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# ---- 1. allocation throughput ----------------------------------------------------------------


def setup_town(directory: Path, slots: int) -> tuple[Home, Identity, list[Identity], list[str]]:
    """A town with one practice, `slots` slots over the coming days, and HUBS hubs. The
    practice's key is written beside the town's home, never into it."""
    home = init_network(directory / "town", "Bench", "Stadtserver")
    record = RecordFields(phone="0800 1", address="Weg 1", specialty="Allgemeinmedizin")
    made = create_practice(home, "Praxis Bench", record, directory / "praxis-bench.key")
    practice = made.identity
    assert practice is not None
    hubs = [Identity.generate(f"Hub {n}") for n in range(HUBS)]
    today = datetime.fromtimestamp(wall_clock_ms() / 1000, booking.LOCAL_TIME).date()
    per_day = 20
    times = [f"{8 + (m * 25) // 60:02d}:{(m * 25) % 60:02d}" for m in range(per_day)]
    days = (slots + per_day - 1) // per_day
    with home.store() as store:
        log = Log(store)
        for hub in hubs:
            grants.grant(log, home.publisher(), hub.public, "hub", hub.name)
        found = booking.get_practice(store.conn, practice.key_id)
        assert found is not None
        # 1,000 slots span 50 days: past the default 28-day horizon of a video consultation.
        found.services[0] = msgspec.structs.replace(
            found.service("video"), horizon_days=366, min_notice_min=0
        )
        series = booking.expand_series(
            found,
            "video",
            ["mo", "di", "mi", "do", "fr", "sa", "so"],
            today + timedelta(days=1),
            today + timedelta(days=days),
            times,
            CAPACITY,
            "Dorfhub",
        )[:slots]
        booking.publish_slots(store, practice, series)
    return home, home.identity(), hubs, [slot_id for slot_id, _ in series]


def make_requests(home: Home, hubs: list[Identity], slots: list[str], count: int) -> float:
    """Append `count` sealed requests, spread at random; returns the seconds it took."""
    rng = random.Random(6)
    started = time.perf_counter()
    with home.store() as store:
        log = Log(store)
        made = 0
        while made < count:
            hub = rng.choice(hubs)
            try:
                booking.request_booking(log, hub, rng.choice(slots), PERSON)
            except booking.BookingError:
                continue  # this hub already has the slot's places pending: pick again
            made += 1
    return time.perf_counter() - started


def baselines(count: int) -> dict[str, float]:
    """Raw Ed25519 signs, plain appends and two-recipient seals per second, in this run."""
    key = Identity.generate("bench")
    header = bytes(range(256)) * 1
    sign_s = timed(lambda: [key.sign(header) for _ in range(count)])
    recipients = [Identity.generate("a").public.seal_key, Identity.generate("b").public.seal_key]
    body = b'{"name": "Erika Mustermann", "phone": "08555 123456"}'
    seal_s = timed(lambda: [seal(body, recipients) for _ in range(count)])
    with tempfile.TemporaryDirectory() as directory:
        home = init_network(Path(directory) / "town", "Bench", "Stadtserver")
        server = home.identity()
        with home.store() as store:
            log = Log(store)
            append_s = timed(
                lambda: [
                    log.append(server, "server.status", server.key_id, b'{"n": %d}' % n)
                    for n in range(count)
                ]
            )
    return {"sign": count / sign_s, "seal": count / seal_s, "append": count / append_s}


# ---- 2. round trip with real processes ---------------------------------------------------------


@contextmanager
def process(command: str, home: Path) -> Iterator[int]:
    """`dorfhub COMMAND` on a port it picks itself; yields that port once it serves."""
    log = (home / f"{command}.log").open("wb")
    ready_file = home / f"{command}.ready"
    ready_file.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "node.cli", command, "--home", str(home)]
    argv += ["--port", "0", "--ready-file", str(ready_file)]
    proc = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield wait_for_ready_file(ready_file, proc, READY_TIMEOUT_S).port
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def round_trips(directory: Path, count: int) -> list[float]:
    town_home, _, _, slots = setup_town(directory, count)
    with process("serve", town_home.path) as town_port:
        hub_home, hub = init_node(
            directory / "hub",
            "hub",
            "Ringelai",
            town_home.config.network_id,
            f"http://127.0.0.1:{town_port}",
        )
        with town_home.store() as store:
            grants.grant(Log(store), town_home.publisher(), hub.public, "hub", hub.name)
        with process("hub", hub_home.path):
            wait_until(lambda: len(_slots(hub_home)) == len(slots), 60)
            return [book_and_wait(hub_home, hub, slot) for slot in slots[:count]]


def book_and_wait(hub_home: Home, hub: Identity, slot: str) -> float:
    """Seconds from a booking request on the hub to the town's decision there (inf: none)."""
    with hub_home.store() as store:
        started = time.perf_counter()
        request = booking.request_booking(Log(store), hub, slot, PERSON)
        while True:
            status = booking.booking_status(store.conn, request)
            if status is not None and status.state != "pending":
                return time.perf_counter() - started
            if time.perf_counter() - started > 30:
                return float("inf")
            time.sleep(0.005)


def _slots(home: Home) -> list[booking.Slot]:
    with home.store() as store:
        return booking.list_slots(store.conn)


def wait_until(check: object, timeout: float) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("the hub did not receive the slots in time")
        time.sleep(0.1)


# ---- the run ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 requests over 100 slots")
    args = parser.parse_args(argv)
    requests_n, slots_n = (1_000, 100) if args.quick else (10_000, 1_000)
    trips = 5 if args.quick else ROUND_TRIPS
    print(f"Machine: {machine()}")
    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="dorfhub-bench-booking-") as directory:
        home, server, hubs, slots = setup_town(Path(directory) / "alloc", slots_n)
        made_s = make_requests(home, hubs, slots, requests_n)
        print(f"{requests_n} requests over {len(slots)} slots appended in {made_s:.1f} s")
        with home.store() as store:
            before = Log(store).count()
            start = time.perf_counter()
            result = allocate(store, server)
            allocate_s = time.perf_counter() - start
            after = Log(store).count()
        base = baselines(2_000)
        rate = requests_n / allocate_s
        rows += [
            Row(
                f"allocation, {requests_n} requests / {len(slots)} slots x {CAPACITY}",
                f"{rate:,.0f} decisions/s",
                f"{allocate_s:.1f} s in all",
                f"{len(result.confirmed)} confirmed, {len(result.rejected)} rejected",
            ),
            Row(
                "ops appended by the allocator",
                f"{after - before:,}",
                "decisions + help requests",
                "",
            ),
            Row("baseline: raw Ed25519 sign", f"{base['sign']:,.0f} /s", "same run", ""),
            Row("baseline: Log.append (status op)", f"{base['append']:,.0f} /s", "same run", ""),
            Row("baseline: seal to 2 recipients", f"{base['seal']:,.0f} /s", "same run", ""),
        ]
        seconds = round_trips(Path(directory) / "trip", trips)
        finite = [s for s in seconds if s != float("inf")]
        median = statistics.median(seconds)
        rows += [
            Row(
                f"hub request -> decision at the hub ({len(seconds)} runs)",
                f"median {median:.3f} s",
                f"goal < {GOAL_S:.0f} s",
                verdict(median < GOAL_S),
            ),
            Row(
                "   p90 / max",
                f"{percentile(finite, 0.9):.3f} / {max(seconds):.3f} s",
                f"goal < {GOAL_S:.0f} s",
                verdict(max(seconds) < GOAL_S),
            ),
        ]
    print()
    print(table(rows))
    print(f"\nTotal run time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
