"""Worker processes for detection code, forked from a template process (a zygote).

The zygote is forked once, right after content is loaded, while the engine's process is still simple
(no delivery threads, no open connections in use). Every worker, and every replacement for a worker that
died, is forked from it, so a worker never inherits locks that another thread of the engine's process
held at the moment of the fork. Workers talk to the engine over a socket pair whose engine end the
zygote passes back over its control socket.

Content can change while the engine's process runs threads (a server reloading detections). Workers for
the new content then come from a zygote forked by the *template*, a process forked when the engine
started: the new zygote loads the content itself, in its own single thread, with the import time limits
that only a main thread has.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle, send_handle
from typing import Any

from onca.detect.engine.alarm import Alarm
from onca.detect.engine.evaluate import Evaluator, LogTypeRules
from onca.detect.engine.outcomes import failure_finding
from onca.detect.engine.render import decode_events
from onca.detect.findings import Finding
from onca.detect.kv import open_kv_store
from onca.detect.platform import use_kv_store
from onca.detect.tracebacks import describe_error

WorkerMain = Callable[[Connection, int], None]

# This process's ends of its connections to zygotes, templates and workers. A process forked from here
# closes its copies at once: a copy left open would keep the other side from ever seeing the end of a
# connection this process closed (a zygote would outlive its engine).
_our_ends: weakref.WeakSet[Connection] = weakref.WeakSet()


def _close_inherited_ends() -> None:
    for conn in list(_our_ends):
        try:
            conn.close()
        except OSError:
            pass


class EngineError(RuntimeError):
    """The engine cannot run detections (a worker cannot start); the message says why."""


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker starts from (inherited through fork, never pickled)."""

    rules: Mapping[str, LogTypeRules]
    kv_url: str
    timeout: float | None
    destinations: Mapping[str, str] | None
    heartbeat: Any
    counters: Any
    counters_per_slot: int


def worker_main(conn: Connection, slot: int, setup: WorkerSetup) -> None:
    """Serve tasks ``(task, log_type, encoded events, start, skip)`` until told to stop or the engine goes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the engine's to handle
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - what rules print is discarded, as in Panther
    try:
        use_kv_store(open_kv_store(setup.kv_url))
    except Exception as exc:  # noqa: BLE001 - said to the engine, which refuses to start
        conn.send(("failed", f"the caching store {setup.kv_url} cannot be opened: {describe_error(exc)}"))
        return
    evaluator = Evaluator(
        setup.rules,
        setup.counters,
        alarm=Alarm(setup.timeout),
        destinations=setup.destinations,
        heartbeat=setup.heartbeat,
        slot=slot,
        counter_base=slot * setup.counters_per_slot,
    )
    conn.send(("ready", os.getpid()))
    try:
        _serve(conn, evaluator, setup)
    except (EOFError, OSError):
        return  # the engine is gone: so are we


def _serve(conn: Connection, evaluator: Evaluator, setup: WorkerSetup) -> None:
    while True:
        message = conn.recv()
        if message is None:
            return
        task, log_type, encoded, start, skip = message

        def emit(index: int, position: int, finding: Finding, timed_out: bool, task: int = task) -> None:
            try:
                conn.send(("finding", task, index, position, finding, timed_out))
            except (pickle.PicklingError, TypeError, ValueError, AttributeError) as exc:  # say so instead
                info = setup.rules[log_type].infos[position]
                error = failure_finding(
                    info, log_type, f"the finding could not be sent: {describe_error(exc)}"
                )
                conn.send(("finding", task, index, position, error, False))

        try:
            evaluator.run(log_type, decode_events(encoded), emit, task=task, start=start, skip=skip)
        except OSError:
            raise
        except Exception as exc:  # noqa: BLE001 - the engine's own failure: report it, keep serving
            conn.send(("done", task, f"the batch could not be evaluated: {describe_error(exc)}"))
            continue
        conn.send(("done", task, ""))


def _exit_after(run: Callable[[], None]) -> None:
    """Run ``run`` in a forked child and leave with os._exit: never return into the parent's code."""
    code = 1
    try:
        run()
        code = 0
    except BaseException:  # noqa: BLE001 - the process ends here either way
        traceback.print_exc(file=sys.__stderr__)
    finally:
        os._exit(code)


def _zygote_loop(control: Connection, child_main: WorkerMain) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    children: set[int] = set()
    while True:
        try:
            request = control.recv()
        except (EOFError, OSError):
            break
        if request[0] == "spawn":
            ours, theirs = Pipe(duplex=True)
            pid = os.fork()
            if pid == 0:
                control.close()
                ours.close()
                _exit_after(lambda: child_main(theirs, request[1]))
            theirs.close()
            children.add(pid)
            control.send(pid)
            send_handle(control, ours.fileno(), 0)
            ours.close()
        elif request[0] == "reap":
            children.discard(request[1])
            control.send(_wait(request[1]))
    for pid in children:  # the engine is gone: its workers go too
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _wait(pid)


def _wait(pid: int) -> int | None:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status)


def _fork_serving(loop: Callable[[Connection], None]) -> tuple[int, Connection]:
    """Fork a child that runs ``loop`` on its end of a new connection; returns its pid and our end."""
    ours, theirs = Pipe(duplex=True)
    pid = os.fork()
    if pid == 0:
        ours.close()
        _close_inherited_ends()
        _exit_after(lambda: loop(theirs))
    theirs.close()
    _our_ends.add(ours)
    return pid, ours


class Zygote:
    """The template process; ``spawn`` forks a worker from it and returns its pid and connection."""

    def __init__(self, child_main: WorkerMain) -> None:
        self.pid, self.control = _fork_serving(lambda control: _zygote_loop(control, child_main))
        self.ours = True  # our child, to reap; an adopted zygote is the template's

    @classmethod
    def adopt(cls, pid: int, control: Connection) -> Zygote:
        zygote = cls.__new__(cls)
        zygote.pid, zygote.control, zygote.ours = pid, control, False
        return zygote

    def spawn(self, slot: int, *, ready_timeout: float = 60.0) -> tuple[int, Connection]:
        try:
            self.control.send(("spawn", slot))
            pid = self.control.recv()
            conn = Connection(recv_handle(self.control))
            _our_ends.add(conn)
        except (EOFError, OSError) as exc:
            raise EngineError(f"the detection worker template process is gone ({exc})") from exc
        if not conn.poll(ready_timeout):
            self.kill(pid)
            raise EngineError(f"a detection worker did not start within {ready_timeout:g}s")
        try:
            answer = conn.recv()
        except (EOFError, OSError):
            answer = ("failed", f"it exited with code {self.reap(pid)}")
        if answer[0] != "ready":
            self.reap(pid)
            conn.close()
            raise EngineError(f"a detection worker could not start: {answer[1]}")
        return pid, conn

    def kill(self, pid: int) -> int | None:
        """Stop a worker (if it still runs) and return its exit code (negative: the signal that ended it)."""
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.reap(pid)

    def reap(self, pid: int) -> int | None:
        try:
            self.control.send(("reap", pid))
            return self.control.recv()
        except (EOFError, OSError):
            return None

    def close(self) -> None:
        """The zygote leaves when its control socket closes, taking its remaining workers with it."""
        self.control.close()
        if not self.ours:
            return
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


# Builds, in a freshly forked zygote, the worker entry point for new content from a request (picklable data)
# and the counters' descriptor; returns it with a description of what was loaded, or raises.
ZygoteBuilder = Callable[[Any, int], tuple[WorkerMain, Any]]


def _template_loop(control: Connection, build: ZygoteBuilder) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the zygotes it forks are reaped by the kernel
    while True:
        try:
            request = control.recv()
            fd = recv_handle(control)
        except (EOFError, OSError):
            return
        ours, theirs = Pipe(duplex=True)
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # a zygote reaps its own workers
            control.close()
            ours.close()
            _exit_after(lambda: _built_zygote(theirs, build, request, fd))
        theirs.close()
        os.close(fd)
        control.send(pid)
        send_handle(control, ours.fileno(), 0)
        ours.close()


def _built_zygote(control: Connection, build: ZygoteBuilder, request: Any, fd: int) -> None:
    try:
        child_main, loaded = build(request, fd)
    except Exception as exc:  # noqa: BLE001 - said to the engine, which keeps its current workers
        control.send(("failed", describe_error(exc)))
        return
    control.send(("ready", loaded))
    _zygote_loop(control, child_main)


class Template:
    """Forks zygotes for new content on request (see the module's docstring)."""

    def __init__(self, build: ZygoteBuilder) -> None:
        self.pid, self.control = _fork_serving(lambda control: _template_loop(control, build))

    def zygote(self, request: Any, fd: int, *, timeout: float) -> tuple[Zygote, Any]:
        """A zygote built from ``request`` and what it says it loaded; EngineError if it could not be."""
        try:
            self.control.send(request)
            send_handle(self.control, fd, self.pid)
            pid = self.control.recv()
            conn = Connection(recv_handle(self.control))
        except (EOFError, OSError) as exc:
            raise EngineError(f"the detection template process is gone ({exc})") from exc
        _our_ends.add(conn)
        zygote = Zygote.adopt(pid, conn)
        if not conn.poll(timeout):
            _kill(pid)
            zygote.close()
            raise EngineError(f"the new detection content did not load within {timeout:g}s")
        try:
            answer = conn.recv()
        except (EOFError, OSError):
            answer = ("failed", "its process ended")
        if answer[0] != "ready":
            zygote.close()
            raise EngineError(f"the new detection content could not be loaded for the workers: {answer[1]}")
        return zygote, answer[1]

    def close(self) -> None:
        self.control.close()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
