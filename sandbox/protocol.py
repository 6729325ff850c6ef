"""The worker protocol: length-prefixed msgpack frames over a byte stream (stdio, or ``ssh``).

A frame is a 4-byte big-endian length followed by one msgpack-encoded message, a tagged msgspec
Struct. The client sends :class:`Hello` first; then :class:`Load` (a plugin folder, checked against
the sha256 the host approved), :class:`Graph` (the whole graph: after a start or a mismatch) or
:class:`Patch` (the engine's diffs since the generation the worker holds, when its
:attr:`HelloReply.features` has ``"patch"``) once per graph generation, :class:`Call` /
:class:`CallContext` per query, :class:`Stats`, :class:`Shutdown`. New fields have defaults and new
messages are announced in ``features``, so an older worker (``ssh HOST pt-tui worker``) still works.
The worker answers every request with one message; a plugin's failure is a :class:`Failure` (kind =
a ``ViolationKind`` value or ``error``), never a dead worker.
"""

from __future__ import annotations

import struct
from typing import IO, Final

import msgspec

from pt_tui.core.diff import GraphDiff
from pt_tui.core.model import Edge, Node
from pt_tui.core.query.result import Output
from pt_tui.sandbox.api import Context, PerformanceBudget, QueryRequest

PROTOCOL_VERSION: Final = 1
MAX_FRAME: Final = 512 * 1024 * 1024
_LENGTH: Final = struct.Struct(">I")


class Hello(msgspec.Struct, tag="hello", kw_only=True):
    version: int = PROTOCOL_VERSION


#: What this worker understands beyond protocol version 1's messages.
FEATURES: Final = ("patch",)


class HelloReply(msgspec.Struct, tag="hello-reply", kw_only=True):
    version: int
    pid: int
    python: str
    features: tuple[str, ...] = ()


class Load(msgspec.Struct, tag="load", kw_only=True):
    folder: str
    sha256: str  # what the host checked; the worker refuses a folder that hashes otherwise
    granted: tuple[str, ...]
    budget: PerformanceBudget
    root: str | None = None


class Loaded(msgspec.Struct, tag="loaded", kw_only=True):
    name: str
    version: str
    load_ms: float


class Graph(msgspec.Struct, tag="graph", kw_only=True):
    generation: int
    nodes: list[Node]
    edges: list[Edge]


class Patch(msgspec.Struct, tag="patch", kw_only=True):
    """The diffs from generation ``base + 1`` on, applied in order to the graph the worker holds.

    A worker not at ``base`` answers :class:`Failure` (kind ``mismatch``); the host then sends the
    whole :class:`Graph`. The :class:`GraphOk` counts let the host check the result adds up."""

    base: int
    diffs: list[GraphDiff]


class GraphOk(msgspec.Struct, tag="graph-ok", kw_only=True):
    generation: int
    nodes: int
    edges: int


class Call(msgspec.Struct, tag="call", kw_only=True):
    request: QueryRequest


class CallContext(msgspec.Struct, tag="context", kw_only=True):
    node_id: str


class Usage(msgspec.Struct, kw_only=True):
    wall_us: float
    cpu_us: float
    rss_mb: float  # the worker's RSS growth since the plugin and the graph were loaded


class Result(msgspec.Struct, tag="result", kw_only=True):
    output: Output
    usage: Usage


class ContextResult(msgspec.Struct, tag="context-result", kw_only=True):
    context: Context
    usage: Usage


class Failure(msgspec.Struct, tag="failure", kw_only=True):
    kind: str  # a ViolationKind value, or "error" for a request the worker could not serve
    detail: str


class Stats(msgspec.Struct, tag="stats", kw_only=True):
    pass


class StatsReply(msgspec.Struct, tag="stats-reply", kw_only=True):
    calls: int
    rss_mb: float
    cpu_s: float
    generation: int


class Shutdown(msgspec.Struct, tag="shutdown", kw_only=True):
    pass


Message = (
    Hello
    | HelloReply
    | Load
    | Loaded
    | Graph
    | Patch
    | GraphOk
    | Call
    | CallContext
    | Result
    | ContextResult
    | Failure
    | Stats
    | StatsReply
    | Shutdown
)

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Message)


class ProtocolError(Exception):
    """A frame that cannot be read: too long, truncated or undecodable."""


def encode(message: Message) -> bytes:
    body = _encoder.encode(message)
    return _LENGTH.pack(len(body)) + body


def decode(body: bytes) -> Message:
    try:
        message: Message = _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise ProtocolError(f"undecodable frame: {exc}") from None
    return message


def write_frame(stream: IO[bytes], message: Message) -> None:
    stream.write(encode(message))
    stream.flush()


def read_frame(stream: IO[bytes]) -> Message | None:
    """The next message, or None at a clean end of stream."""
    head = _read_exactly(stream, 4)
    if head is None:
        return None
    (length,) = _LENGTH.unpack(head)
    if length > MAX_FRAME:
        raise ProtocolError(f"frame of {length} bytes is over the {MAX_FRAME} limit")
    body = _read_exactly(stream, length)
    if body is None:
        raise ProtocolError("stream ended inside a frame")
    return decode(body)


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = stream.read(left)
        if not chunk:
            if left == size:
                return None
            raise ProtocolError("stream ended inside a frame")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
