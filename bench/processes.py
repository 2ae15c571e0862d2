"""Child processes of a benchmark, and what /proc tells about them.

A :class:`Service` is a context manager: its process is stopped when the block
ends, also on an error or Ctrl-C, and (through ``PR_SET_PDEATHSIG``) when the
benchmark itself is killed. Only start services from the main thread: the
kernel ties that signal to the thread that forked.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

PR_SET_PDEATHSIG = 1
STOP_SECONDS = 15.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServiceFailed(RuntimeError):
    """A child process died or did not become ready; the message ends with its log."""


class Service:
    """A child process whose output goes to a log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(os.environ if env is None else env)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise ServiceFailed(f"{self.name}: expected a running process, got none")
        return self._process.pid

    def start(self) -> Service:
        preexec = _parent_death_signal()
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                preexec_fn=preexec,
            )
        return self

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            code = None if self._process is None else self._process.returncode
            raise ServiceFailed(f"{self.name} exited with {code}\n{self.log_tail()}")

    def stop(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(f"  {self.name}| {line}" for line in text.splitlines()[-lines:])

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook that has the child sent SIGTERM when we die; None where unknown.

    libc is looked up here, in the parent: between fork and exec only the call is safe.
    """
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


def signage_command(*args: str) -> list[str]:
    """The ``signage`` command of the interpreter that runs the benchmark."""
    script = Path(sys.executable).parent / "signage"
    if script.is_file():
        return [str(script), *args]
    return [sys.executable, "-m", "signage_server.cli", *args]


def quiet_env(**extra: str) -> dict[str, str]:
    """The environment for a child: ours, without SIGNAGE_* settings that could leak in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SIGNAGE_")}
    env["SIGNAGE_LOG_LEVEL"] = "INFO"
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def http_json(url: str, timeout: float = 2.0) -> Any:
    """GET a JSON document; None when nothing answers (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """Whether a GET answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def wait_until(
    what: str,
    check: Callable[[], bool],
    timeout: float,
    service: Service | None = None,
    interval: float = 0.05,
) -> float:
    """Poll ``check`` until it holds; returns the seconds it took. Raises ServiceFailed."""
    start = time.monotonic()
    while not check():
        if service is not None:
            service.check_alive()
        if time.monotonic() - start > timeout:
            tail = "" if service is None else "\n" + service.log_tail()
            raise ServiceFailed(f"timed out after {timeout:.0f} s waiting for {what}{tail}")
        time.sleep(interval)
    return time.monotonic() - start


def proc_status(pid: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def rss_bytes(pid: int) -> int:
    """Resident set size now (VmRSS)."""
    return _kib_field(pid, "VmRSS") * 1024


def peak_rss_bytes(pid: int) -> int:
    """Highest resident set size so far (VmHWM)."""
    return _kib_field(pid, "VmHWM") * 1024


def _kib_field(pid: int, name: str) -> int:
    value = proc_status(pid)[name]
    number, _, unit = value.partition(" ")
    if unit != "kB":
        raise ValueError(f"/proc/{pid}/status {name}: expected kB, got {value!r}")
    return int(number)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (utime + stime of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    # The command name is in parentheses and may hold spaces; fields follow the last ")".
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLOCK_TICKS


def raise_open_files() -> tuple[int, int]:
    """Raise our soft RLIMIT_NOFILE as far as the hard limit allows; children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if target > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so that ``finally`` blocks stop our children."""

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
