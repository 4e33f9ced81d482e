"""The grader's kernel: a fresh Python process that runs one submission's cells, then its tests.

``chainrule lab grade`` starts one warm "zygote" (``python -m chainrule.lab.grading_kernel
IN OUT``) that imports NumPy, matplotlib and chainrule once and then forks one kernel per
submission: a new process with its own memory and CPU rlimits and temporary working
directory, talking to the grader over two named pipes, one JSON object a line. It is a kernel in
Jupyter's sense (a namespace that outlives each cell) without Jupyter's machinery, so a
crash, a timeout or a blocked call is a fact the grader can see and survive.

The student's code runs under an audit hook (PEP 578) that refuses, and records, reading
the grader's files or other submissions, writing outside the working directory, opening
a network connection and starting a process. It is a tripwire for the honest majority,
not a sandbox: code that reaches for ``ctypes`` can get past it, and the rlimits and the
separate process are what bound the damage.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

#: Output kept per cell; the rest is cut (a print in a loop must not flood the report).
MAX_OUTPUT = 4000

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_BLOCKED_EVENTS = {
    "socket.connect": "open a network connection",
    "socket.bind": "open a network connection",
    "socket.sendto": "open a network connection",
    "socket.getaddrinfo": "open a network connection",
    "socket.gethostbyname": "open a network connection",
    "urllib.Request": "open a network connection",
    "subprocess.Popen": "start a process",
    "os.system": "start a process",
    "os.exec": "start a process",
    "os.posix_spawn": "start a process",
    "os.spawn": "start a process",
    "os.fork": "start a process",
    "os.forkpty": "start a process",
}
_PATH_EVENTS = {"os.listdir", "os.scandir", "os.remove", "os.rename", "os.rmdir", "os.mkdir"}
_MAGIC = re.compile(r"^(\s*)([%!].*)$", re.MULTILINE)


class Tripwire:
    """The audit hook's state: armed while student code runs; what it refused, and where."""

    def __init__(self, workdir: Path, protected: list[str]) -> None:
        self.workdir = str(workdir.resolve())
        self.protected = [str(Path(p).resolve()) for p in protected]
        self.armed = False
        self.violations: list[dict[str, str]] = []

    def _inside(self, path: str, root: str) -> bool:
        return path == root or path.startswith(root.rstrip(os.sep) + os.sep)

    def _refuse(self, kind: str, what: str) -> None:
        self.violations.append({"kind": kind, "what": what})
        raise PermissionError(f"the grader does not allow this: {what}")

    def __call__(self, event: str, args: tuple) -> None:
        if not self.armed:
            return
        if event in _BLOCKED_EVENTS:
            self.armed = False  # the refusal's own bookkeeping must not trip the hook again
            try:
                self._refuse(_BLOCKED_EVENTS[event], f"{event} {args[:2]!r}"[:200])
            finally:
                self.armed = True
        if event == "open" or event in _PATH_EVENTS:
            path = args[0] if args else None
            if isinstance(path, int) or path is None:
                return
            self.armed = False
            try:
                full = os.path.realpath(os.fsdecode(path))
                writing = event != "open" and event not in ("os.listdir", "os.scandir")
                if event == "open":
                    mode, flags = (
                        (args[1] if len(args) > 1 else "r") or "r",
                        (args[2] if len(args) > 2 else 0),
                    )
                    writing = any(c in str(mode) for c in "wax+") or bool(flags & _WRITE_FLAGS)
                mine = self._inside(full, self.workdir)  # its own folder, wherever that is
                if not mine and not writing and any(self._inside(full, p) for p in self.protected):
                    self._refuse("read the grader's files or another submission", f"{event} {full}")
                if writing and not (mine or full == os.devnull):
                    self._refuse("write outside its folder", f"{event} {full}")
            finally:
                self.armed = True


def _without_magics(code: str) -> str:
    """Comment out IPython magics and shell lines (``%matplotlib``, ``!pip install``)."""
    return _MAGIC.sub(r"\1pass  # \2 (not run by the grader)", code)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    tb = traceback.extract_tb(exc.__traceback__)
    where = next((f" (line {f.lineno})" for f in reversed(tb) if f.filename.startswith("<")), "")
    return f"{type(exc).__name__}: {exc}{where}"[:500]


def _summarise(value: Any) -> dict[str, Any]:
    """A test's value as plain data: a CheckResult's share of right findings, its text."""
    details = getattr(value, "details", None)
    if isinstance(details, dict) and hasattr(value, "message"):
        findings = list(details.values())
        right = sum(1 for f in findings if f.ok)
        ran = not any(f.mistake in ("error", "not answered") for f in findings)
        return {
            "ok": bool(value.ok),
            # partial credit is the share of right findings, once the code ran at all
            "fraction": right / len(findings) if findings and ran else float(bool(value.ok)),
            "title": str(value.title),
            "message": str(value.message),
            "mistakes": dict(value.mistakes),
        }
    ok = bool(value)
    return {
        "ok": ok,
        "fraction": float(ok),
        "title": "",
        "message": repr(value)[:300],
        "mistakes": {},
    }


def _warm() -> None:
    """Import what every kernel needs, once, in the zygote (its fork children share it)."""
    sys.modules["torch"] = None  # type: ignore[assignment] # compare_gradients uses three sources
    import matplotlib  # noqa: PLC0415 - before any tripwire: its font cache runs fc-list

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: PLC0415, F401

    import chainrule.lab  # noqa: PLC0415, F401


def serve(requests_fd: int, replies_fd: int) -> int:
    """The zygote: warm once, then fork a kernel per 'spawn' and report its end per 'reap'.

    Forking a warm process spares every submission the second of imports that a fresh
    interpreter would spend; each child is still its own process with its own limits.
    """
    _warm()
    requests = os.fdopen(requests_fd, "r", encoding="utf-8")
    replies = os.fdopen(replies_fd, "w", encoding="utf-8")
    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    for line in requests:
        request = json.loads(line)
        if request["op"] == "spawn":
            pid = os.fork()
            if pid == 0:  # the kernel
                code = 1
                try:
                    os.close(requests_fd)
                    os.close(replies_fd)
                    code = kernel(request["config"])
                finally:
                    os._exit(code)
            replies.write(json.dumps({"pid": pid}) + "\n")
        elif request["op"] == "reap":
            replies.write(json.dumps({"status": _reap(request["pid"])}) + "\n")
        replies.flush()
    return 0


def _reap(pid: int) -> int:
    """Wait (briefly, then by force) for a kernel to end; its exit code, or minus its signal."""
    for _ in range(200):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def kernel(config: dict[str, Any]) -> int:
    """One submission's kernel, in a freshly forked child: limits, folder, seeds, then the loop."""
    import resource  # noqa: PLC0415 - the kernel alone sets limits

    os.setsid()  # its own process group: a timeout's SIGINT or SIGKILL reaches only it
    memory, cpu = config["memory_mb"] * 1024 * 1024, config["cpu_s"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    workdir = Path(config["workdir"])
    os.chdir(workdir)
    os.environ.update(HOME=str(workdir), TMPDIR=str(workdir))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a timeout interrupts the cell
    answers = open(config["answers"], "w", encoding="utf-8")  # noqa: SIM115 - the loop's lifetime
    commands = open(config["commands"], encoding="utf-8")  # noqa: SIM115
    sys.stdin = io.StringIO()

    import random  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415

    import chainrule  # noqa: PLC0415
    from chainrule import lab  # noqa: PLC0415

    random.seed(config["seed"])
    np.random.seed(config["seed"])
    chainrule.manual_seed(config["seed"])
    # The tests call the grader's own checkers, captured before any student code runs.
    trusted = {name: getattr(lab, name) for name in config["trusted"]}
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    tripwire = Tripwire(workdir, config["protected"])
    sys.addaudithook(tripwire)

    for line in commands:
        command = json.loads(line)
        if command["op"] == "bye":
            break
        tripwire.violations = []
        out = io.StringIO()
        reply: dict[str, Any] = {"error": None}
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                tripwire.armed = True
                try:
                    if command["op"] == "cell":
                        code = compile(_without_magics(command["code"]), "<cell>", "exec")
                        exec(code, namespace)  # noqa: S102 - running the submission is the job
                    else:
                        scope = {**namespace, **trusted}
                        value = eval(command["code"], scope)  # noqa: S307 - the grader's own test
                        reply["result"] = _summarise(value)
                finally:
                    tripwire.armed = False
        except KeyboardInterrupt:
            reply["error"] = "interrupted: the cell ran past its time limit"
        except BaseException as e:  # noqa: BLE001 - every student failure is a reportable fact
            reply["error"] = _error_text(e)
        text = out.getvalue()
        reply["output"] = text if len(text) <= MAX_OUTPUT else text[:MAX_OUTPUT] + "\n[... cut]"
        reply["violations"] = tripwire.violations
        answers.write(json.dumps(reply) + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(serve(int(sys.argv[1]), int(sys.argv[2])))
