"""The HTTP peer API every node serves (Starlette app via FastAPI, run by uvicorn).

    GET  /v1/hello?digest=D   who is here; `equal` says whether D matches (the no-op sync)
    POST /v1/pull             body: caller's version vector; answer: one batch, `more` header
    POST /v1/vector           answer: this node's version vector (what to push)
    POST /v1/push             body: one batch; answer: what was applied, held, rejected
    POST /v1/bodies           body: file hashes a hub wants; answer: one batch of those files whole
    GET  /v1/wait?digest=D    long-poll: returns when this node's digest differs from D (<= 25 s)
    POST /v1/enroll           a new node asks to join; answer: its pairing code
    POST /v1/screenshot       body: a hub's kiosk screenshot (PNG); the town server keeps the latest
    GET  /v1/openapi.json     this description

All but hello are signed by the calling node (sync.protocol). The store is touched only from one
worker thread, so the event loop never blocks on SQLite.

Only keys that hold a grant here learn what the log holds. A key this node does not know (a hub
waiting for its approval, or anyone with a free key) gets an empty batch and an empty vector,
and may long-poll: a digest change tells it nothing that the unsigned hello does not, and it is
how a waiting hub learns of its approval at once. A revoked key gets 403 from all three.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from content import relay, screenshots
from content.dropped import count_dropped
from content.grants import roles_of
from content.limits import (
    ENROLLMENT_BURST_PER_ADDRESS,
    ENROLLMENTS_PER_HOUR_PER_ADDRESS,
    MAX_ENROLL_REQUEST_BYTES,
    MAX_INFLIGHT_BODY_BYTES,
    MAX_REQUEST_BYTES,
    MAX_SCREENSHOT_BYTES,
    MAX_STRANGER_NONCES,
    MAX_STRANGER_WAITS,
    MAX_VECTOR_BYTES,
    MAX_WANTED_BODIES,
    REQUEST_BURST,
    REQUESTS_PER_SECOND,
    STRANGER_REQUEST_BURST,
    STRANGER_REQUESTS_PER_SECOND,
    WAIT_SECONDS,
)
from content.log import Log
from content.ops import RawOp, decode_header
from content.store import Store
from sync import enrollment
from sync.guards import NonceBook, RateLimiter, Replayed, ReplayGuard
from sync.http import LOCAL_PROXIES, QUICK_HELLO_STATE
from sync.protocol import (
    API,
    DIGEST_HEADER,
    MORE_HEADER,
    NET_HEADER,
    PROTO_HEADER,
    PROTOCOL_VERSION,
    AuthError,
    Batch,
    ProtocolError,
    SignedRequest,
    TooLarge,
    decode_batch,
    decode_vector,
    decode_wanted,
    encode_batch,
    encode_vector,
    make_batches,
    verify_signed_headers,
)

log = logging.getLogger("dorfhub.peer")
T = TypeVar("T")
WATCH_INTERVAL = 0.05
# The town server looks more often: what an admin publishes there (the CLI, the desk: other
# processes) reaches every hub through it, and this poll is the first wait on that path
# (bench/sync.py, propagation). A look costs about 0.1 ms, 50 of them a second 0.5 % of a core.
SERVER_WATCH_INTERVAL = 0.02
# How often the in-memory drop counts (nonces, rate buckets, connections) reach the store.
DROPS_FLUSH_SECONDS = 10.0
# What a key without a grant gets from pull and vector.
NOTHING = Batch(encode_batch([]), 0, False)
EMPTY_VECTOR = encode_vector({})
# A hello that sync.http may answer itself: hex values only, so nothing needs decoding and
# FastAPI would read the same (anything else goes the normal way).
QUICK_HELLO = re.compile(
    re.escape(API.encode()) + rb"/hello\?digest=([0-9a-f]{0,64})(?:&node=([0-9a-f]{16,64}))?"
)
# How much of its key a node must be asked for to give the short no-op answer: 64 bits tell any
# two nodes apart (hello is unsigned: the key it names proves nothing either way).
MIN_HELLO_NODE_CHARS = 16
# Request bodies by path; any other path may carry at most MAX_REQUEST_BYTES (one batch).
BODY_LIMITS = {
    f"{API}/pull": MAX_VECTOR_BYTES,
    f"{API}/vector": 0,
    f"{API}/enroll": MAX_ENROLL_REQUEST_BYTES,
    f"{API}/screenshot": MAX_SCREENSHOT_BYTES,
    f"{API}/bodies": MAX_WANTED_BODIES * 70 + 2,  # a JSON list of quoted 64-hex hashes
}


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class PeerLimits:
    requests_per_second: float = REQUESTS_PER_SECOND
    burst: float = REQUEST_BURST


class PeerService:
    """State behind the API: the store (one thread), the digest watcher, nonces and limits."""

    def __init__(
        self,
        db_path: Path,
        node_key: str,
        role: str,
        limits: PeerLimits,
        after_change: Callable[[Store], object] | None = None,
    ) -> None:
        self.db_path = db_path
        # Work that follows new ops in the same process (the town server's booking decisions).
        self.after_change = after_change
        self.node_key = node_key
        self.role = role
        self.limits = limits
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="dorfhub-store")
        # Decompressing and parsing what peers send is CPU work: it stays off the event loop,
        # so one heavy request cannot stall hello and the long-polls of everyone else.
        self.cpu = ThreadPoolExecutor(2, thread_name_prefix="dorfhub-decode")
        self.store: Store | None = None
        self.network_id = ""
        self.digest = ""
        self.changed = asyncio.Event()
        self.closing = asyncio.Event()
        self.started_ms = int(time.time() * 1000)
        self.rates = RateLimiter(limits.requests_per_second, limits.burst)
        # Strangers (keys without a grant) have a nonce book and a limit of their own, per
        # client address: keys are free to make, so a flood of them must not touch members'.
        self.nonces = ReplayGuard(
            NonceBook(self.started_ms),
            NonceBook(self.started_ms, capacity=MAX_STRANGER_NONCES),
        )
        self.stranger_rates = RateLimiter(STRANGER_REQUESTS_PER_SECOND, STRANGER_REQUEST_BURST)
        self.stranger_waits = 0
        self.enroll_rates = RateLimiter(
            ENROLLMENTS_PER_HOUR_PER_ADDRESS / 3600, ENROLLMENT_BURST_PER_ADDRESS
        )
        # Drops counted outside the store (connections: sync.http), written with the others.
        self.drops: Counter[str] = Counter()
        # The town server keeps what each hub holds (`bundle export --for`); hubs learn it from
        # their own rounds, and a write here would wake their sync loop.
        self.remembers_peers = role == "server"
        # Only the town server keeps the hubs' kiosk screenshots, for the desk.
        self.screenshots = screenshots.server_dir(db_path.parent) if role == "server" else None

    def hello(self, digest: str, node: str = "") -> dict[str, Any]:
        """The hello answer (GET /v1/hello, and sync.http's quick path for it)."""
        now = int(time.time() * 1000)
        equal = digest == self.digest
        if equal and len(node) >= MIN_HELLO_NODE_CHARS and self.node_key.startswith(node):
            return {"equal": True, "time": now}
        return {
            "proto": PROTOCOL_VERSION,
            "net": self.network_id,
            "node": self.node_key,
            "role": self.role,
            "digest": self.digest,
            "equal": equal,
            "time": now,
        }

    def quick_hello(self, target: bytes) -> bytes | None:
        """The whole HTTP answer to `GET target` when it is a plain hello (sync.http answers
        it without the ASGI stack: the no-op sync of every hub, many times a minute); None for
        anything else, which takes the normal path."""
        query = QUICK_HELLO.fullmatch(target)
        if query is None:
            return None
        body = json.dumps(
            self.hello(query[1].decode(), (query[2] or b"").decode()), separators=(",", ":")
        ).encode()
        return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (
            len(body),
            b"content-type: application/json\r\n",
            body,
        )

    async def run(self, fn: Callable[[Store], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: fn(self._store()))

    async def decode(self, fn: Callable[[bytes], T], body: bytes) -> T:
        """Run a decoder (decompression, parsing) on the CPU threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.cpu, fn, body)

    def _store(self) -> Store:
        if self.store is None:
            self.store = Store(self.db_path)
        return self.store

    async def start(self) -> None:
        self.network_id = await self.run(lambda s: s.network_id or "")
        await self.changed_here()
        self.digest = await self.run(lambda s: Log(s).digest())

    async def changed_here(self) -> None:
        """Run the after-change hook (if any) on the store thread; a failure is logged, never
        raised, so that it cannot stop the peer API."""
        hook = self.after_change
        if hook is None:
            return
        try:
            await self.run(hook)
        except Exception:
            log.exception("after-change hook failed")

    async def watch(self) -> None:
        """Poll SQLite's data_version (cheap) so writes from any process wake the long-polls."""
        version = await self.run(lambda s: s.data_version())
        flushed = time.monotonic()
        while True:
            await asyncio.sleep(SERVER_WATCH_INTERVAL if self.role == "server" else WATCH_INTERVAL)
            if time.monotonic() - flushed >= DROPS_FLUSH_SECONDS:
                flushed = time.monotonic()
                await self.flush_drops()
            current = await self.run(lambda s: s.data_version())
            if current != version:
                # Our own commits in the hook do not move data_version on this connection, so
                # the version from before the hook is kept: a commit by another process while
                # the hook runs gets a turn of its own.
                version = current
                await self.changed_here()
                await self.refresh_digest()

    async def refresh_digest(self) -> None:
        digest = await self.run(lambda s: Log(s).digest())
        if digest != self.digest:
            self.digest = digest
            self.changed.set()
            self.changed = asyncio.Event()

    async def flush_drops(self) -> None:
        """Add what the in-memory guards dropped since the last flush to the store's tally."""
        counters = (
            self.drops,
            self.rates.dropped,
            self.stranger_rates.dropped,
            self.enroll_rates.dropped,
        )
        drops: Counter[str] = sum(counters, self.nonces.dropped)
        for counter in counters:
            counter.clear()
        self.nonces.clear_dropped()
        if drops:
            await self.run(lambda s: _count_drops(s, drops))

    def close(self) -> None:
        if self.store is not None:
            self.executor.submit(self.store.close).result()
        self.executor.shutdown()
        self.cpu.shutdown()

    # ---- request checks ----------------------------------------------------------------------

    async def authenticate(self, request: Request) -> Caller:
        """Check a request from its headers alone, before its body is read: protocol, network,
        signature, time, rate and nonce; members and strangers (no grant) are told apart here,
        as their rates and nonces are kept apart."""
        if request.headers.get(PROTO_HEADER, str(PROTOCOL_VERSION)) != str(PROTOCOL_VERSION):
            raise Refused(
                400, f"unsupported protocol version (this node speaks {PROTOCOL_VERSION})"
            )
        if request.headers.get(NET_HEADER, self.network_id) != self.network_id:
            raise Refused(409, "wrong network id")
        now = int(time.time() * 1000)
        headers, method, path = dict(request.headers), request.method, request.url.path
        try:
            signed = await asyncio.get_running_loop().run_in_executor(
                self.cpu, lambda: verify_signed_headers(headers, method, path, self.network_id, now)
            )
        except AuthError as exc:
            raise Refused(401, str(exc)) from None
        revoked, roles = await self.run(lambda s: _standing(s, self.network_id, signed.node))
        caller = Caller(signed, roles, revoked)
        address = request.client.host if request.client else "?"
        self._check_rate(caller, address)
        self._check_nonce(caller, now)
        return caller

    async def body(self, request: Request, caller: Caller) -> bytes:
        """The request's body, read only now, and checked against the hash the caller signed."""
        body = await request.body()
        try:
            await asyncio.get_running_loop().run_in_executor(
                self.cpu, caller.signed.check_body, body
            )
        except AuthError as exc:
            raise Refused(401, str(exc)) from None
        return body

    def _check_rate(self, caller: Caller, address: str) -> None:
        # Strangers are limited by address; behind a reverse proxy on this machine that is the
        # client's own (uvicorn takes it from X-Forwarded-For), and a local tool is trusted.
        by_address = not caller.member and address not in LOCAL_PROXIES
        allowed = (
            self.stranger_rates.allow(address) if by_address else self.rates.allow(caller.node)
        )
        if not allowed:
            raise Refused(429, "too many requests")

    def _check_nonce(self, caller: Caller, now: int) -> None:
        signed = caller.signed
        try:
            self.nonces.check(caller.member, signed.node, signed.nonce, signed.time_ms, now)
        except Replayed as exc:
            raise Refused(401, str(exc)) from None

    async def wait_for_change(self, digest: str, timeout: float) -> None:
        """Return once this node's digest differs from `digest`, it closes, or `timeout`."""
        if digest != self.digest or self.closing.is_set():
            return
        waiters = [
            asyncio.create_task(self.changed.wait()),
            asyncio.create_task(self.closing.wait()),
        ]
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()


@dataclass(frozen=True)
class Caller:
    """Who signed a request, and what they may do now."""

    signed: SignedRequest
    roles: list[str]
    revoked: bool

    @property
    def node(self) -> str:
        return self.signed.node

    @property
    def member(self) -> bool:
        """Holds a grant now (a stranger, or a revoked or expired key, does not)."""
        return bool(self.roles)

    def may_read(self) -> None:
        """Pull, vector and wait: a stranger gets nothing, a revoked key is refused."""
        if self.revoked:
            raise Refused(403, "this node's key is revoked")


class BodyLimit:
    """ASGI middleware: refuse request bodies over their path's limit (BODY_LIMITS, else
    `limit`) before they are read whole, and any body once all bodies being read at once
    would exceed MAX_INFLIGHT_BODY_BYTES (503: try again)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.default = limit
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = BODY_LIMITS.get(scope["path"], self.default)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _send_json(send, 413, {"error": "request body too large"})
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            size = len(message.get("body", b""))
            seen += size
            self.inflight += size
            if seen > limit:
                raise Refused(413, "request body too large")
            if self.inflight > MAX_INFLIGHT_BODY_BYTES:
                raise Refused(503, "too many requests are being received; try again")
            return message

        try:
            await self.app(scope, limited, send)
        finally:
            self.inflight -= seen


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(
    db_path: Path,
    node_key: str,
    role: str,
    limits: PeerLimits | None = None,
    after_change: Callable[[Store], object] | None = None,
) -> FastAPI:
    service = PeerService(db_path, node_key, role, limits or PeerLimits(), after_change)
    app = FastAPI(
        title="Dorfhub peer API",
        version=str(PROTOCOL_VERSION),
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(service),
    )
    app.state.service = service
    app.add_middleware(BodyLimit, limit=MAX_REQUEST_BYTES)
    _answer_refusals(app)
    for routes in (_sync_routes, _joining_routes, _screenshot_routes):
        app.include_router(routes(service))
    return app


def _lifespan(
    service: PeerService,
) -> Callable[[FastAPI], AbstractAsyncContextManager[dict[str, Any]]]:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        await service.start()
        watcher = asyncio.create_task(service.watch())
        try:
            # The server's protocol (sync.http) finds the quick hello in the lifespan state.
            yield {QUICK_HELLO_STATE: service.quick_hello}
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await service.flush_drops()
            service.close()

    return lifespan


def _answer_refusals(app: FastAPI) -> None:
    """Every refusal as a 4xx (or 503) with a short reason in JSON, never a traceback."""

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused) -> JSONResponse:
        return JSONResponse({"error": exc.reason}, status_code=exc.status)

    @app.exception_handler(ProtocolError)
    async def malformed(_request: Request, exc: ProtocolError) -> JSONResponse:
        status = 413 if isinstance(exc, TooLarge) else 400
        return JSONResponse({"error": str(exc)}, status_code=status)


def _sync_routes(service: PeerService) -> APIRouter:
    """hello, pull, vector, push and the long-poll: how nodes exchange ops."""
    router = APIRouter()

    @router.get(f"{API}/hello")
    async def hello(
        digest: str = Query("", max_length=64), node: str = Query("", max_length=64)
    ) -> dict[str, Any]:
        """Who answers here, and whether the caller's digest equals ours (nothing to do).
        `node`: the start of the key the caller heard here before; when it matches and the
        digests are equal, the answer is only `{equal, time}` (the no-op sync's few bytes)."""
        return service.hello(digest, node)

    @router.post(f"{API}/pull")
    async def pull(request: Request) -> Response:
        """Body: the caller's zstd version vector. Answer: one batch of ops it lacks."""
        caller = await service.authenticate(request)
        caller.may_read()
        headers: dict[str, str] = {}
        if not caller.member:
            batch = NOTHING  # a stranger's vector is not even read
        else:
            vector = await service.decode(decode_vector, await service.body(request, caller))
            remember = service.remembers_peers
            batch = await service.run(
                lambda s: _pull_batch(s, service.network_id, caller.node, vector, remember)
            )
            if not batch.more:
                # A digest this node held: a caller whose digest equals it once it applied
                # the batch holds what this node holds, and need not ask for the vector.
                headers[DIGEST_HEADER] = service.digest
        headers[MORE_HEADER] = "1" if batch.more else "0"
        return Response(batch.data, media_type="application/zstd", headers=headers)

    @router.post(f"{API}/vector")
    async def vector(request: Request) -> Response:
        """Answer: this node's version vector, so the caller knows what to push."""
        caller = await service.authenticate(request)
        caller.may_read()
        if not caller.member:
            # Who writes here and how much is not a stranger's business. Without a digest the
            # caller skips the fork check, which needs a push it may not make anyway.
            return Response(EMPTY_VECTOR, media_type="application/zstd")
        data, digest = await service.run(lambda s: _vector_and_digest(Log(s)))
        return Response(data, media_type="application/zstd", headers={DIGEST_HEADER: digest})

    @router.post(f"{API}/push")
    async def push(request: Request) -> dict[str, Any]:
        """Body: one batch. Only enrolled nodes may push; each batch applies atomically."""
        caller = await service.authenticate(request)
        if not caller.member:
            raise Refused(403, "unknown or revoked node may not push")
        ops = await service.decode(decode_batch, await service.body(request, caller))
        report = await service.run(lambda s: Log(s).ingest(ops, detached=_detached(service, s)))
        if report.applied:
            await service.changed_here()
        await service.refresh_digest()
        kept = set(report.applied) | set(report.duplicates)
        pushed = [op for op in ops if op.op_id in kept]
        if pushed and service.remembers_peers:
            held = _merged({}, pushed)
            await service.run(lambda s: _remember_peer(s, caller.node, held, pulled=False))
        if report.rejected:
            log.warning("push from %s: %s", caller.node[:12], report.rejected[0][1])
        return {
            "applied": len(report.applied),
            "duplicates": len(report.duplicates),
            "held": len(report.held),
            "rejected": [{"op": op, "reason": why} for op, why in report.rejected],
        }

    @router.post(f"{API}/bodies")
    async def bodies(request: Request) -> Response:
        """Body: a JSON list of file hashes (at most MAX_WANTED_BODIES). Answer: one batch of
        the blob.put ops of those files this node holds whole (the caller asks again for the
        rest). Any member may ask for any file: notices are no secret among members, and the
        relay rule only spares links the bytes nobody asked for (content/relay.py)."""
        caller = await service.authenticate(request)
        caller.may_read()
        if not caller.member:
            batch = NOTHING
        else:
            wanted = await service.decode(decode_wanted, await service.body(request, caller))
            batch = await service.run(lambda s: _bodies_batch(s, wanted))
        return Response(
            batch.data,
            media_type="application/zstd",
            headers={MORE_HEADER: "1" if batch.more else "0"},
        )

    @router.get(f"{API}/wait")
    async def wait(
        request: Request,
        digest: str = Query(..., max_length=64),
        timeout: float = Query(WAIT_SECONDS, ge=0, le=WAIT_SECONDS),
    ) -> dict[str, Any]:
        """Long-poll: answers as soon as this node's digest differs from `digest`."""
        caller = await service.authenticate(request)
        caller.may_read()
        if caller.member:
            await service.wait_for_change(digest, timeout)
        elif service.stranger_waits < MAX_STRANGER_WAITS:
            # A hub waiting for its approval hears of it through this long-poll, but strangers
            # may not hold more than a few connections this way.
            service.stranger_waits += 1
            try:
                await service.wait_for_change(digest, timeout)
            finally:
                service.stranger_waits -= 1
        return {"digest": service.digest}

    return router


def _joining_routes(service: PeerService) -> APIRouter:
    """A new node asks to be enrolled."""
    router = APIRouter()

    @router.post(f"{API}/enroll")
    async def enroll(request: Request) -> dict[str, Any]:
        """A new node asks to join; signed with its own key, which proves it holds it."""
        caller = await service.authenticate(request)
        address = request.client.host if request.client else "?"
        if address not in LOCAL_PROXIES and not service.enroll_rates.allow(address):
            raise Refused(429, "too many enrollment requests from this address; try later")
        body = await service.body(request, caller)
        wish = enrollment.parse_request(body, caller.node)
        code = await service.run(lambda s: enrollment.record(s, wish))
        return {"code": code}

    return router


def _screenshot_routes(service: PeerService) -> APIRouter:
    """Hubs send their kiosk's screenshot for the desk."""
    router = APIRouter()

    @router.post(f"{API}/screenshot")
    async def screenshot(request: Request) -> dict[str, Any]:
        """Body: the caller's kiosk screenshot, a PNG (docs/kiosk.md). Only a key that holds
        the hub role now may send one, about itself; the town server keeps the latest per hub,
        outside the op log. Checked before it is decoded or stored; refused, nothing changes."""
        caller = await service.authenticate(request)
        signed = caller.signed
        directory = service.screenshots
        if directory is None:
            raise Refused(404, "only the town server keeps screenshots")
        if "hub" not in caller.roles:
            raise Refused(403, "only a hub may send its kiosk's screenshot")
        body = await service.body(request, caller)
        received = int(time.time() * 1000)
        try:
            kept = await service.decode(
                lambda png: screenshots.keep_latest(directory, signed.node, png, received), body
            )
        except screenshots.ScreenshotError as exc:
            raise Refused(400, str(exc)) from None
        except OSError as exc:  # a full disk: the hub tries again later
            log.error("screenshot of %s not stored: %s", signed.node[:12], exc)
            raise Refused(503, "the screenshot could not be stored") from None
        return kept.as_json()

    return router


def first_batch(
    store: Store,
    vector: dict[str, int],
    public_only: bool,
    blob_bodies: frozenset[str] | None = None,
) -> tuple[Batch, list[RawOp]]:
    """The first batch of what the holder of `vector` lacks (an empty batch if nothing), and
    the ops in it; files' bodies as `blob_bodies` says (Log.ops_missing_from)."""
    taken: list[RawOp] = []

    def recorded() -> Iterator[RawOp]:
        log = Log(store)
        for op in log.ops_missing_from(vector, public_only=public_only, blob_bodies=blob_bodies):
            taken.append(op)
            yield op

    for batch in make_batches(recorded()):
        return batch, taken[: batch.count]
    return NOTHING, []


def _pull_batch(
    store: Store, network_id: str, node: str, vector: dict[str, int], remember: bool
) -> Batch:
    # A hub gets the bytes of the files it shows; the town server every file (content/relay.py).
    wanted = relay.bodies_for(store.conn, network_id, node)
    batch, ops = first_batch(store, vector, public_only=False, blob_bodies=wanted)
    if remember:
        _remember_peer(store, node, _merged(vector, ops), pulled=True, more=batch.more)
    return batch


def _bodies_batch(store: Store, wanted: list[str]) -> Batch:
    """The files asked for that this node holds whole, as one batch (the first that fits)."""
    held = (relay.whole_blob(store.conn, digest) for digest in wanted)
    for batch in make_batches(op for op in held if op is not None):
        return batch
    return NOTHING


def _detached(service: PeerService, store: Store) -> bool:
    """Whether this node takes files pushed to it by their header only: a hub does."""
    return service.role == "hub" and relay.takes_detached(
        store.conn, service.network_id, service.node_key
    )


def _vector_and_digest(log: Log) -> tuple[bytes, str]:
    """What this node holds and its digest, read in one snapshot."""
    with log.store.snapshot():
        return encode_vector(log.wanted_vector()), log.digest()


def _count_drops(store: Store, drops: Counter[str]) -> None:
    with store.write() as conn:
        for what, count in drops.items():
            count_dropped(conn, what, count)


def _merged(vector: dict[str, int], ops: list[RawOp]) -> dict[str, int]:
    """`vector` advanced by ops that extend it (each author's seqs are contiguous in a batch)."""
    held = dict(vector)
    for op in ops:
        header = decode_header(op.header)
        held[header.author] = max(held.get(header.author, 0), header.seq)
    return held


def _remember_peer(
    store: Store, node: str, held: dict[str, int], pulled: bool, more: bool = False
) -> None:
    """Record what an enrolled caller holds, so `bundle export --for` carries only what it
    lacks. A pull states the caller's whole vector (plus the batch it takes home, which it
    applies unless the link drops; its next pull corrects that); a push adds the ops it carried.
    """
    url = f"inbound:{node}"
    in_sync = (not more) if pulled else None
    with store.write() as conn:
        # Only authors this node knows: a caller may name 50,000 made-up ones, and rewriting
        # them with every pull would keep the store's one thread busy for everyone else.
        authors = {author for (author,) in conn.execute("SELECT author FROM versions")}
        held = {author: seq for author, seq in held.items() if author in authors}
        row = conn.execute("SELECT peer_vector FROM peers WHERE url = ?", (url,)).fetchone()
        known: dict[str, int] = {} if pulled or not row or not row[0] else json.loads(row[0])
        for author, seq in held.items():
            known[author] = max(seq, known.get(author, 0))
        conn.execute(
            "INSERT INTO peers (url, node, last_success, in_sync, peer_vector) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET node = excluded.node, "
            "last_success = excluded.last_success, peer_vector = excluded.peer_vector, "
            "in_sync = coalesce(?, in_sync)",
            (url, node, int(time.time() * 1000), bool(in_sync), json.dumps(known), in_sync),
        )


def _standing(store: Store, network_id: str, node: str) -> tuple[bool, list[str]]:
    """Whether `node` is revoked here, and the roles it holds (none if revoked or unknown)."""
    row = store.conn.execute("SELECT revoke_op FROM keys WHERE key = ?", (node,)).fetchone()
    revoked = row is not None and row[0] is not None
    return revoked, roles_of(store.conn, network_id, node, at_ms=int(time.time() * 1000))
