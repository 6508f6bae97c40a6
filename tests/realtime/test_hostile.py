"""Nothing a client sends stops the listener: a bad frame or handshake costs that one session at most."""

from __future__ import annotations

import json

import httpx
import pytest
import trio
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from trio_websocket import ConnectionClosed, WebSocketConnection

from community.app import System
from community.realtime.protocol import MAX_FRAME_BYTES, FrameError, PingFrame, parse_frame
from tests.factories import Personas
from tests.realtime.conftest import close_code, emit, open_socket, recv, recv_type, send
from tests.tls import TLS

LONE = "\ud800"


def _restarts(runtime: System) -> dict[str, int]:
    """Restart counts of the root's children and the core's: all zero while nothing crashed."""
    assert runtime.root is not None and runtime.core is not None
    return {f"{sup.id}.{c.id}": c.restarts for sup in (runtime.root, runtime.core) for c in sup.which_children()}


async def _still_serving(runtime: System, personas: Personas) -> None:
    """The listener accepts, events flow, REST answers, and no child of the tree restarted."""
    acme = personas.acme
    async with open_socket(runtime, acme.admin, acme.slug) as ws:
        sent = await emit(runtime, acme.id, acme.owner, note="still here")
        got = await recv_type(ws, "organization_updated")
        assert got["id"] == sent.seq
    async with httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{runtime.http_port}", timeout=5) as client:
        assert (await client.get("/healthz")).status_code == 200
    assert set(_restarts(runtime).values()) == {0}, _restarts(runtime)


async def test_a_lone_surrogate_channel_is_answered_and_never_echoed(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug) as ws, open_socket(runtime, acme.guest, acme.slug) as other:
        for _ in range(6):  # more than the root's restart intensity, had each one crashed the listener
            await ws.send_message(json.dumps({"type": "subscribe", "channel": f"topic:{LONE}"}))
            error = await recv(ws)
            assert (error["type"], error["code"]) == ("error", "bad_request")
            assert "channel" not in error
            assert LONE not in error["message"]
        await send(ws, type="ping")
        assert await recv_type(ws, "pong") == {"type": "pong"}
        sent = await emit(runtime, acme.id, acme.owner, note="others unaffected")
        assert (await recv_type(other, "organization_updated"))["id"] == sent.seq
    await _still_serving(runtime, personas)


_ANSWERED_WITH_AN_ERROR = [
    {"type": "subscribe", "channel": f"forum:{LONE}"},
    {"type": "subscribe", "channel": f"{LONE}:{LONE}"},
    {"type": "subscribe", "channel": "topic:" + "0" * 10_000},
    {"type": "subscribe", "channel": 42},
    {"type": "subscribe"},
    {"type": "unsubscribe", "channel": f"topic:{LONE}"},
    {"type": "typing", "topic_id": LONE},
    {"type": "typing", "topic_id": "\u0000"},
    {"type": "typing", "conversation_id": ["x"]},
    {"type": "typing"},
    {"type": "typing", "channel": "topic:00000000-0000-0000-0000-000000000000"},
    {"type": "resume", "after": 10**30},
    {"type": "resume", "after": -1},
    {"type": "resume", "after": True},
    {"type": "resume", "after": 1.5},
    {"type": "resume", "after": "12"},
    {"type": LONE},
    {"type": None},
    {LONE: LONE},
]


async def test_hostile_frames_get_an_error_frame_and_the_socket_stays(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        for frame in _ANSWERED_WITH_AN_ERROR:
            await ws.send_message(json.dumps(frame))
            error = await recv_type(ws, "error")
            assert error["code"] == "bad_request", (frame, error)
            json.dumps(error, ensure_ascii=False).encode()  # what the server sent is encodable text
        await send(ws, type="ping")
        assert await recv_type(ws, "pong") == {"type": "pong"}
    await _still_serving(runtime, personas)


@pytest.mark.parametrize("message", [b"binary", "[" * 50_000, "1", '"text"', "x" * (MAX_FRAME_BYTES + 1),
                                     "\u00e9" * (MAX_FRAME_BYTES // 2 + 1)])
async def test_what_is_no_json_object_closes_1008(runtime: System, personas: Personas, message: str | bytes) -> None:
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        await ws.send_message(message)
        assert await close_code(ws) == 1008
    await _still_serving(runtime, personas)


async def _raw_upgrade(runtime: System, target: bytes, headers: list[bytes]) -> bytes:
    """Send a hand-made upgrade request; answers what came back (b"" if the server hung up)."""
    lines = [b"GET " + target + b" HTTP/1.1", b"Upgrade: websocket", b"Connection: Upgrade",
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", b"Sec-WebSocket-Version: 13", *headers]
    with trio.fail_after(15):
        stream = await trio.open_tcp_stream("127.0.0.1", runtime.ws_port or 0)
        async with stream:
            await stream.send_all(b"\r\n".join(lines) + b"\r\n\r\n")
            try:
                return await stream.receive_some(4096)
            except trio.BrokenResourceError:
                return b""


async def test_hostile_handshakes_are_refused_one_by_one(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    host, bearer = b"Host: 127.0.0.1", f"Authorization: Bearer {acme.member.token}".encode()
    attempts: list[tuple[bytes, list[bytes]]] = [
        (b"/ws?org=" + acme.slug.encode(), [b"Host: \xff\xfe", bearer]),
        (b"/ws?org=" + acme.slug.encode(), [b"Host: xn--a.xn--\xff", bearer]),
        (b"/ws?org=%00", [host, bearer]),
        (b"/ws?org=%ED%A0%80", [host, bearer]),
        (b"/ws?org=" + b"a" * 5000, [host, bearer]),
        (b"/ws?org=" + acme.slug.encode() + b"&access_token=%00%ff", [host]),
        (b"/ws?org=" + acme.slug.encode(), [host, b"Authorization: Bearer \xff\x00"]),
        (b"/ws?org=" + acme.slug.encode(), [host, b"Authorization: Bearer a.b.c"]),
        (b"/ws?org=" + acme.slug.encode(), [host, bearer, b"Origin: http://[::1"]),
        (b"/ws?org=" + acme.slug.encode(), [host, bearer, b"Origin: http://localhost:notaport"]),
        (b"/ws?org=" + acme.slug.encode(), [host, bearer, b"Origin: \xff\xfe"]),
        (b"/ws?" + b"&".join(b"k%d=v" % i for i in range(500)), [host, bearer]),
        (b"/ws?org=" + acme.slug.encode(), [host, bearer, b"X-Long: " + b"x" * 60_000]),
    ]
    for target, headers in attempts:
        head = await _raw_upgrade(runtime, target, headers)
        assert not head.startswith(b"HTTP/1.1 101"), (target, headers)
        assert not head.startswith(b"HTTP/1.1 5"), (target, headers, head[:200])
    await _still_serving(runtime, personas)


# Arbitrary JSON (text includes lone surrogates and NULs), and frames with a known type and
# arbitrary fields, channel-like strings among them: what a fuzzer would send.
_TEXT = st.text(st.characters(exclude_categories=()) | st.sampled_from("\ud800\udfff\x00\ufffe"), max_size=40)
_CHANNELISH = st.builds("{}:{}".format, st.sampled_from(["topic", "forum", "org", "user", "conversation"]),
                        st.uuids().map(str) | _TEXT)
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT | _CHANNELISH,
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
                     max_leaves=12)
_TYPES = st.sampled_from(["ping", "subscribe", "unsubscribe", "typing", "resume"]) | _TEXT
_FIELDS = st.sampled_from(["channel", "after", "topic_id", "conversation_id", "type"]) | _TEXT
_SHAPED = st.fixed_dictionaries(
    {"type": st.sampled_from(["ping", "subscribe", "unsubscribe", "typing", "resume"])},
    optional={"channel": _CHANNELISH | _TEXT | _JSON, "after": st.integers() | _JSON,
              "topic_id": st.uuids().map(str) | _TEXT | _JSON, "conversation_id": _TEXT | _JSON})
_OBJECTS = st.builds(lambda kind, extra: {**extra, "type": kind}, _TYPES, st.dictionaries(_FIELDS, _JSON, max_size=3))
_MESSAGES = st.one_of(*[st.builds(json.dumps, _SHAPED)] * 4, st.builds(json.dumps, _OBJECTS),
                      st.builds(json.dumps, _JSON), _TEXT, st.binary(max_size=200))


@given(_MESSAGES)
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_frame_parser_answers_a_frame_or_an_encodable_error(message: str | bytes) -> None:
    try:
        frame = parse_frame(message)
    except FrameError as exc:
        answer = exc.message
    else:
        answer = json.dumps(frame.model_dump(mode="json"), ensure_ascii=False)
    answer.encode("utf-8")  # whatever is answered can be sent
    assert len(answer) < 2_000


def _examples(count: int) -> list[str | bytes]:
    found: list[str | bytes] = []

    @given(_MESSAGES)
    @example(json.dumps({"type": "subscribe", "channel": f"topic:{LONE}"}))  # what the review found
    @example(json.dumps({"type": "resume", "after": 2**64}))
    @example("[" * 100_000)
    @settings(max_examples=count, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def collect(message: str | bytes) -> None:
        if isinstance(message, str) and _unencodable(message):
            return  # raw text with a lone surrogate cannot go in a text frame (JSON escapes it: those go)
        found.append(message)

    collect()
    return found


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _pongs_for(message: str | bytes) -> int:
    """A fuzzed frame that is itself a valid ping earns a pong of its own before ours."""
    try:
        return 1 if isinstance(parse_frame(message), PingFrame) else 0
    except FrameError:
        return 0


async def _outcome(ws: WebSocketConnection, message: str | bytes) -> int | None:
    """After a fuzzed frame: None while the socket is open (a ping still answers), else its close code.
    Every pong owed is read, so a stale one never stands for the answer to a later frame."""
    try:
        await send(ws, type="ping")
        with trio.fail_after(5):
            for _ in range(1 + _pongs_for(message)):
                while json.loads(await ws.get_message())["type"] != "pong":
                    pass
    except ConnectionClosed as closed:
        await ws._stream.aclose()
        return int(closed.reason.code)
    return None


async def test_fuzzed_frames_cost_at_most_their_own_session(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    messages = _examples(300)
    async with open_socket(runtime, acme.guest, acme.slug) as bystander:
        pending: list[str | bytes] = list(messages)
        while pending:
            async with open_socket(runtime, acme.member, acme.slug) as ws:
                while pending:
                    message = pending.pop()
                    await ws.send_message(message)
                    code = await _outcome(ws, message)
                    if code is not None:
                        assert code == 1008, (code, message)  # a bad frame, never a crash (1011, 1001)
                        break
        sent = await emit(runtime, acme.id, acme.owner, note="after the fuzz")
        assert (await recv_type(bystander, "organization_updated"))["id"] == sent.seq
    await _still_serving(runtime, personas)
