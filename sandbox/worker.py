"""Plugins out of process: ``pt-tui worker`` (:func:`serve`) and the host side (:class:`WorkerClient`,
:class:`WorkerPlugin`).

The worker serves one plugin over :mod:`pt_tui.sandbox.protocol` on stdin/stdout; it keeps the real
stdout for frames and points file descriptor 1 at stderr, so a plugin's ``print`` cannot corrupt the
stream. The client starts any argv (by default :data:`WORKER_ARGV`, ``python -m
pt_tui.sandbox.worker``, which skips the CLI's imports; ``pt-tui worker`` and ``ssh HOST pt-tui
worker`` work too), gives each call a deadline (the plugin's budget plus transport slack), and kills a
worker that misses it or dies: that query fails with a :class:`PluginViolation`, the next call starts
a fresh worker (loads the plugin and sends the graph again). The graph is sent whole when a worker
starts (or when its copy does not add up); after that, each new generation is sent as the engine's
diffs (:class:`~pt_tui.sandbox.protocol.Patch`), which the worker applies to its copy.
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import psutil  # type: ignore[import-untyped]

from pt_tui.core.isg import ISG
from pt_tui.core.model import Edge, Node
from pt_tui.core.query.result import Output
from pt_tui.sandbox import protocol as p
from pt_tui.sandbox.api import (
    Capability,
    Context,
    PerformanceBudget,
    PerformanceImpact,
    PluginCapabilities,
    QueryRequest,
    QueryType,
)
from pt_tui.sandbox.errors import CapabilityRefused, PluginError, PluginViolation, ViolationKind
from pt_tui.sandbox.manifest import Manifest, load_manifest

if TYPE_CHECKING:
    from pt_tui.core.diff import GraphDiff

#: The lean way to start a local worker: the module itself, without the CLI's imports.
WORKER_ARGV: tuple[str, ...] = (sys.executable, "-m", "pt_tui.sandbox.worker")
#: Diffs a plugin keeps for its worker before it gives up and sends the whole graph next time.
MAX_QUEUED_DIFFS = 256

# -- the worker process ------------------------------------------------------------------------


class _Server:
    def __init__(self) -> None:
        self.plugin: Any = None
        self.name = ""
        self.isg = ISG()
        self.calls = 0
        self.process = psutil.Process()
        self.baseline_mb = 0.0  # RSS after the plugin and the graph are in: calls report growth over it

    def handle(self, msg: p.Message) -> p.Message:
        if isinstance(msg, p.Hello):
            return p.HelloReply(
                version=p.PROTOCOL_VERSION,
                pid=os.getpid(),
                python=sys.version.split()[0],
                features=p.FEATURES,
            )
        if isinstance(msg, p.Load):
            return self._load(msg)
        if isinstance(msg, p.Graph):
            self.isg = _build_graph(msg.nodes, msg.edges, msg.generation)
            return self._prepared()
        if isinstance(msg, p.Patch):
            if msg.base != self.isg.generation:
                return p.Failure(kind="mismatch", detail=f"worker holds generation {self.isg.generation}")
            view = sys.modules.get("pt_tui.sandbox.wasm.view")
            for diff in msg.diffs:
                apply_diff(self.isg, diff)
                if view is not None:  # a wasm plugin's graph view is patched too, not rebuilt
                    view.note_diff(self.isg, diff)
            return self._prepared()
        if isinstance(msg, p.Call | p.CallContext):
            return self._call(msg)
        if isinstance(msg, p.Stats):
            cpu = self.process.cpu_times()
            return p.StatsReply(
                calls=self.calls,
                rss_mb=self._rss(),
                cpu_s=cpu.user + cpu.system,
                generation=self.isg.generation,
            )
        return p.Failure(kind="error", detail=f"unexpected message {type(msg).__name__}")

    def _prepared(self) -> p.Message:
        prepare = getattr(self.plugin, "prepare", None)
        if callable(prepare):  # per-graph caches are built here, outside any query's deadline
            try:
                prepare(self.isg)
            except Exception as exc:
                return p.Failure(
                    kind=ViolationKind.TRAP.value, detail=f"prepare: {type(exc).__name__}: {exc}"
                )
        self.baseline_mb = self._rss()
        isg = self.isg
        return p.GraphOk(generation=isg.generation, nodes=isg.node_count, edges=isg.edge_count)

    def _rss(self) -> float:
        return float(self.process.memory_info().rss) / (1024 * 1024)

    def _load(self, msg: p.Load) -> p.Message:
        from pt_tui.sandbox.loader import LoadOptions, load_in_process
        from pt_tui.sandbox.trust import AllowAll

        started = time.perf_counter()
        try:
            folder = Path(msg.folder)
            manifest = load_manifest(folder)
            sha = manifest.sha256(folder)
            if sha != msg.sha256:
                return p.Failure(
                    kind="error", detail=f"{folder}: sha256 {sha[:16]}... is not the one the host approved"
                )
            granted = frozenset(Capability(c) for c in msg.granted)
            root = Path(msg.root) if msg.root else None
            options = LoadOptions(root=lambda: root)
            # trust was checked by the host for exactly this sha256, which was verified above
            self.plugin = load_in_process(
                manifest, folder, sha, granted, msg.budget, AllowAll(), False, options
            )
            self.name = manifest.name
            self.baseline_mb = self._rss()
        except (PluginError, ValueError, OSError) as exc:
            return p.Failure(kind="error", detail=str(exc))
        return p.Loaded(
            name=self.name, version=manifest.version, load_ms=(time.perf_counter() - started) * 1000
        )

    def _call(self, msg: p.Call | p.CallContext) -> p.Message:
        if self.plugin is None:
            return p.Failure(kind="error", detail="no plugin loaded")
        self.calls += 1
        cpu0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        try:
            if isinstance(msg, p.Call):
                out: Any = self.plugin.execute_query(msg.request, self.isg)
            else:
                node = self.isg.nodes.get(msg.node_id)
                if node is None:
                    return p.Failure(kind="error", detail=f"unknown entity {msg.node_id}")
                out = self.plugin.generate_context(node, self.isg)
        except PluginViolation as exc:
            return p.Failure(kind=exc.kind.value, detail=exc.detail)
        except CapabilityRefused as exc:
            return p.Failure(kind=ViolationKind.CAPABILITY.value, detail=str(exc))
        except MemoryError as exc:
            return p.Failure(kind=ViolationKind.MEMORY.value, detail=f"MemoryError: {exc}")
        except Exception as exc:
            return p.Failure(kind=ViolationKind.TRAP.value, detail=f"{type(exc).__name__}: {exc}")
        usage = p.Usage(
            wall_us=(time.perf_counter_ns() - t0) / 1000,
            cpu_us=(time.thread_time_ns() - cpu0) / 1000,
            rss_mb=max(0.0, self._rss() - self.baseline_mb),
        )
        if isinstance(msg, p.Call):
            if not isinstance(out, Output):
                return p.Failure(
                    kind=ViolationKind.MALFORMED.value, detail=f"returned {type(out).__name__}, not Output"
                )
            return p.Result(output=out, usage=usage)
        if not isinstance(out, Context):
            return p.Failure(
                kind=ViolationKind.MALFORMED.value, detail=f"returned {type(out).__name__}, not Context"
            )
        return p.ContextResult(context=out, usage=usage)


def _build_graph(nodes: list[Node], edges: list[Edge], generation: int) -> ISG:
    isg = ISG()
    by_file: dict[str, list[Node]] = collections.defaultdict(list)
    for node in nodes:
        by_file[node.file].append(node)
    for path, file_nodes in by_file.items():
        isg.add_nodes(path, file_nodes)
    isg.add_edges(edges)
    isg.generation = generation
    return isg


def apply_diff(isg: ISG, diff: GraphDiff) -> None:
    """Apply one engine diff to a copy of the graph (in the engine's order: edges out, nodes, edges in)."""
    isg.remove_edges(diff.removed_edges)
    isg.remove_nodes(diff.removed_nodes)
    for node in (*diff.added_nodes, *diff.changed_nodes):
        old = isg.nodes.get(node.id)
        if old is not None and old.file != node.file:
            isg.move_node(node.id, old.file, node.file)
        isg.put_node(node, node.file)
    isg.add_edges(diff.added_edges)
    isg.generation = diff.generation


def serve(stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> int:
    """Serve requests until :class:`Shutdown` or the end of input; returns the exit code."""
    if stdout is None:
        # frames go to a private copy of fd 1; fd 1 and sys.stdout then point at stderr
        out_fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        stdout = os.fdopen(out_fd, "wb", buffering=0)
    if stdin is None:
        stdin = sys.stdin.buffer
    server = _Server()
    while True:
        try:
            msg = p.read_frame(stdin)
        except p.ProtocolError as exc:
            print(f"pt-tui worker: {exc}", file=sys.stderr)
            return 2
        if msg is None or isinstance(msg, p.Shutdown):
            return 0
        p.write_frame(stdout, server.handle(msg))


# -- the host side -----------------------------------------------------------------------------


class WorkerDied(PluginError):
    """The worker exited or closed its output (the message has its exit code and last stderr lines)."""


class WorkerTimeout(PluginError):
    """The worker did not answer before the deadline; it has been killed."""


_EOF = object()


class WorkerClient:
    """One worker process: start, send a request, wait for its answer with a deadline, kill, restart."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str] | None = None) -> None:
        self.argv = list(argv)
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.started = 0
        self._replies: queue.Queue[object] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._lock = threading.Lock()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self, timeout_s: float = 30.0) -> p.HelloReply:
        self.kill()
        self._replies = queue.Queue()
        try:
            proc = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env
            )
        except OSError as exc:
            raise WorkerDied(f"cannot start worker {' '.join(self.argv)}: {exc}") from exc
        self.proc = proc
        if self.started:
            self.restarts += 1
        self.started += 1
        replies = self._replies
        threading.Thread(
            target=self._read, args=(proc, replies), daemon=True, name="pt-tui-worker-out"
        ).start()
        threading.Thread(target=self._drain, args=(proc,), daemon=True, name="pt-tui-worker-err").start()
        reply = self.request(p.Hello(), timeout_s)
        if not isinstance(reply, p.HelloReply) or reply.version != p.PROTOCOL_VERSION:
            self.kill()
            raise WorkerDied(f"worker speaks another protocol: {reply!r}")
        return reply

    def _read(self, proc: subprocess.Popen[bytes], replies: queue.Queue[object]) -> None:
        assert proc.stdout is not None
        try:
            while True:
                msg = p.read_frame(proc.stdout)
                if msg is None:
                    break
                replies.put(msg)
        except (p.ProtocolError, OSError, ValueError) as exc:
            self._stderr.append(f"(host) bad frame from worker: {exc}")
        replies.put(_EOF)

    def _drain(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self._stderr.append(line.decode("utf-8", "replace").rstrip())

    def request(self, msg: p.Message, timeout_s: float) -> p.Message:
        """Send ``msg`` and wait for the answer; kills the worker on timeout or when it died."""
        with self._lock:
            proc = self.proc
            if proc is None or proc.poll() is not None or proc.stdin is None:
                raise WorkerDied(self._death(proc))
            try:
                proc.stdin.write(p.encode(msg))
                proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                self.kill()
                raise WorkerDied(self._death(proc)) from None
            try:
                reply = self._replies.get(timeout=timeout_s)
            except queue.Empty:
                self.kill()
                raise WorkerTimeout(f"no answer within {timeout_s * 1000:.0f} ms: worker killed") from None
            if reply is _EOF:
                self.kill()
                raise WorkerDied(self._death(proc))
            return cast(p.Message, reply)

    def _death(self, proc: subprocess.Popen[bytes] | None) -> str:
        if proc is None:
            return "worker not started"
        try:
            code = proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            code = None
        tail = " | ".join(list(self._stderr)[-3:])
        return f"worker exited (code {code})" + (f": {tail}" if tail else "")

    def kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5.0)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def close(self) -> None:
        """Ask the worker to stop, then make sure it did."""
        proc = self.proc
        if proc is not None and proc.poll() is None and proc.stdin is not None:
            try:
                proc.stdin.write(p.encode(p.Shutdown()))
                proc.stdin.flush()
                proc.wait(timeout=2.0)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        self.kill()


class WorkerPlugin:
    """A plugin served by a worker process, behind the QueryPlugin / ContextPlugin surface.

    One call at a time per worker. ``on_restart`` (set by the manager) hears about restarts.
    """

    def __init__(
        self,
        manifest: Manifest,
        folder: Path,
        *,
        argv: Sequence[str],
        granted: frozenset[Capability],
        budget: PerformanceBudget,
        slack_ms: float = 200.0,
        root: Path | None = None,
        startup_timeout_s: float = 30.0,
    ) -> None:
        self.manifest = manifest
        self.name = manifest.name
        self.version = manifest.version
        self.folder = folder
        self.granted = granted
        self.budget = budget
        self.slack_ms = slack_ms
        self.root = root
        self.startup_timeout_s = startup_timeout_s
        self.client = WorkerClient(argv)
        self.on_restart: Callable[[str], None] | None = None
        self._lock = threading.Lock()
        self._graph_key: tuple[int, int, int, int] | None = None  # the graph the worker holds
        self._diffs: list[GraphDiff] = []  # diffs heard since, for the next sync
        self._diffs_lock = threading.Lock()
        self._features: tuple[str, ...] = ()
        #: How the last graph sync went: ("whole" | "patch", milliseconds, frame bytes).
        self.last_sync: tuple[str, float, int] | None = None
        self._local = threading.local()
        self._sha = manifest.sha256(folder)

    # the Plugin surface
    def performance_budget(self) -> PerformanceBudget:
        return self.budget

    def capabilities(self) -> PluginCapabilities:
        return self.manifest.declared()

    def query_types(self) -> Sequence[QueryType]:
        return self.manifest.query_types

    def context_formats(self) -> Sequence[str]:
        return self.manifest.context_formats

    def performance_impact(self) -> PerformanceImpact:
        return PerformanceImpact(notes="runs in a worker process")

    def start(self) -> None:
        """Start the worker and load the plugin there (a load failure is a PluginError)."""
        hello = self.client.start(self.startup_timeout_s)
        self._features = hello.features
        load = p.Load(
            folder=str(self.folder),
            sha256=self._sha,
            granted=tuple(sorted(c.value for c in self.granted)),
            budget=self.budget,
            root=str(self.root) if self.root else None,
        )
        reply = self.client.request(load, self.startup_timeout_s)
        if not isinstance(reply, p.Loaded):
            self.client.kill()
            detail = reply.detail if isinstance(reply, p.Failure) else repr(reply)
            raise PluginError(f"{self.name}: the worker could not load it: {detail}")
        self._graph_key = None

    def _ready(self, isg: ISG) -> None:
        if not self.client.alive:
            restarted = self.client.started > 0
            self.start()
            if restarted and self.on_restart is not None:
                self.on_restart(f"worker restarted (pid {self.client.pid})")
        key = (id(isg), isg.generation, isg.node_count, isg.edge_count)
        if key == self._graph_key:
            return
        timeout = 10.0 + isg.node_count / 10_000
        started = time.perf_counter()
        patch = self._patch_for(isg)
        if patch is not None:
            frame = len(p.encode(patch))
            reply = self.client.request(patch, timeout)
            if isinstance(reply, p.GraphOk) and (reply.nodes, reply.edges) == key[2:]:
                self._graph_key = key
                self.last_sync = ("patch", (time.perf_counter() - started) * 1e3, frame)
                return
            started = time.perf_counter()  # a mismatch: the whole graph puts it right
        graph = p.Graph(generation=isg.generation, nodes=list(isg.nodes.values()), edges=list(isg.edges()))
        frame = len(p.encode(graph))
        reply = self.client.request(graph, timeout)
        if not isinstance(reply, p.GraphOk):
            raise PluginError(f"{self.name}: graph sync failed: {reply!r}")
        self._graph_key = key
        self.last_sync = ("whole", (time.perf_counter() - started) * 1e3, frame)

    def _patch_for(self, isg: ISG) -> p.Patch | None:
        """The diffs that take the worker's copy to ``isg``'s generation, if they are all known."""
        with self._diffs_lock:
            diffs, self._diffs = self._diffs, []
        held = self._graph_key
        if held is None or held[0] != id(isg) or "patch" not in self._features:
            return None
        wanted = list(range(held[1] + 1, isg.generation + 1))
        by_generation = {d.generation: d for d in diffs}
        if not wanted or any(g not in by_generation for g in wanted):
            return None
        return p.Patch(base=held[1], diffs=[by_generation[g] for g in wanted])

    def _roundtrip(self, msg: p.Message, isg: ISG) -> p.Message:
        self._local.usage = None
        deadline = (self.budget.max_query_time_us / 1000 + self.slack_ms) / 1000
        with self._lock:
            try:
                self._ready(isg)
                started = time.perf_counter_ns()
                reply = self.client.request(msg, deadline)
                wall = (time.perf_counter_ns() - started) / 1000
            except WorkerTimeout as exc:
                raise PluginViolation(self.name, ViolationKind.TIMEOUT, str(exc)) from exc
            except WorkerDied as exc:
                raise PluginViolation(self.name, ViolationKind.TRAP, str(exc)) from exc
        if isinstance(reply, p.Failure):
            kinds = {k.value: k for k in ViolationKind}
            if reply.kind in kinds:
                raise PluginViolation(self.name, kinds[reply.kind], reply.detail)
            raise PluginError(f"{self.name}: worker: {reply.detail}")
        if isinstance(reply, p.Result | p.ContextResult):
            self._local.usage = (wall, reply.usage.cpu_us, reply.usage.rss_mb)
        return reply

    def execute_query(self, query: QueryRequest, isg: ISG) -> Output:
        reply = self._roundtrip(p.Call(request=query), isg)
        if not isinstance(reply, p.Result):
            raise PluginViolation(
                self.name, ViolationKind.MALFORMED, f"unexpected answer {type(reply).__name__}"
            )
        return reply.output

    def generate_context(self, entity: Node, isg: ISG) -> Context:
        reply = self._roundtrip(p.CallContext(node_id=entity.id), isg)
        if not isinstance(reply, p.ContextResult):
            raise PluginViolation(
                self.name, ViolationKind.MALFORMED, f"unexpected answer {type(reply).__name__}"
            )
        return reply.context

    def last_usage(self) -> tuple[float, float, float] | None:
        """(round-trip us without graph sync, worker CPU us, worker RSS growth MB) of this thread's
        last call."""
        usage: tuple[float, float, float] | None = getattr(self._local, "usage", None)
        return usage

    def on_graph_update(self, diff: GraphDiff) -> None:
        """Keep the diff for the next call, which sends it instead of the whole graph."""
        with self._diffs_lock:
            self._diffs.append(diff)
            if len(self._diffs) > MAX_QUEUED_DIFFS:
                self._diffs.clear()  # the next sync sends the whole graph

    def stats(self) -> p.StatsReply | None:
        with self._lock:
            if not self.client.alive:
                return None
            reply = self.client.request(p.Stats(), 5.0)
        return reply if isinstance(reply, p.StatsReply) else None

    def close(self) -> None:
        self.client.close()


if __name__ == "__main__":
    sys.exit(serve())
