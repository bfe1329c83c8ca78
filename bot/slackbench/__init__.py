"""``helpbot bench --slack``: the Slack app against a bolt app that only acknowledges.

Both are served by one gunicorn worker pinned to one CPU (``taskset``), in the same run,
on loopback: a closed loop of correctly signed message events at N connections, a local
Web API stand-in (``webapi``) counting the answers as ``chat.postMessage`` calls arrive.
For each: acknowledged requests a second, p50/p99 of the acknowledgement, the worker's
CPU time per ack (bare) or per answer (helpbot: acks and refusals included), and for
helpbot the answers a second, the backlog (acknowledged, not yet answered) and the
worker's memory every half second of the burst, until every acknowledged event is
answered. Prints figures, asserts nothing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.slackbench.load import Events, Load, summary

SECRET = "bench-signing-secret"
PATH = "/slack/events"
SAMPLE_SECONDS = 0.5


@dataclass(frozen=True)
class Options:
    seconds: float = 10.0
    connections: int = 8
    rounds: int = 2
    cpu: int = 0  # the app's CPU; the load and the Web API stand-in run on the others
    database: str | None = None  # default: a new SQLite file for each round
    env: tuple[tuple[str, str], ...] = ()  # extra settings for helpbot (HELPBOT_SLACK_*)
    api_ms: float = 0.0  # how long each Web API call takes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"it exited:\n{log.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}:\n{log.read_text()[-3000:]}")


@contextmanager
def served(
    args: list[str], env: dict[str, str], port: int, log: Path, cpu: int | None
) -> Iterator[subprocess.Popen[bytes]]:
    """The process ``args`` (pinned to ``cpu``, if given), once it listens on ``port``;
    stopped on leaving. Its output goes to ``log``."""
    pinned = ["taskset", "-c", str(cpu)] if cpu is not None else []
    with log.open("wb") as out:
        process = subprocess.Popen(
            pinned + args, env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_listening(port, process, log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, IndexError):
            continue
        if int(ppid) == pid and state != "Z":
            found.append(int(stat.parent.name))
    return found


def _worker(pid: int) -> int:
    """The one gunicorn worker of the master ``pid``, once it has been forked."""
    deadline = time.monotonic() + 60
    while not (found := _children(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    (worker,) = found
    return worker


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds(pid: int) -> float:
    """CPU time the process has used (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _switches(pid: int) -> int:
    """Context switches the process's threads have made so far: on a small VM each
    costs tens of microseconds, a share of an answer no profile shows."""
    total = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:  # a thread that has just ended
            continue
        total += sum(int(line.split()[1]) for line in lines if "ctxt_switches" in line)
    return total


def answers(api_port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/stats", timeout=10) as response:
        return int(json.loads(response.read())["answers"])


def _warm(port: int, events: Events, count: int, answered: Callable[[], int] | None = None) -> None:
    """A few events first: the worker imports, connects and trains before the clock runs;
    with ``answered`` (the answers so far), each of them answered, so that none is counted
    in the burst."""
    load = Load(port, PATH, events, 2)
    load.start()
    deadline = time.monotonic() + 120
    while load.count(200) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    acked = sum(1 for shot in load.stop() if shot.status == 200)
    while answered is not None and answered() < acked and time.monotonic() < deadline:
        time.sleep(0.05)


def _measure(
    name: str, port: int, worker: int, options: Options, api_port: int | None
) -> dict[str, float]:
    events = Events(SECRET, uuid.uuid4().hex[:6].upper())
    base = answers(api_port) if api_port else 0
    if api_port:
        _warm(port, events, 50, lambda: answers(api_port) - base)
        base = answers(api_port)
    else:
        _warm(port, events, 200)
    load = Load(port, PATH, events, options.connections)
    cpu_before, switches_before = _cpu_seconds(worker), _switches(worker)
    began = time.monotonic()
    load.start()
    timeline = []
    while (now := time.monotonic() - began) < options.seconds:
        time.sleep(min(SAMPLE_SECONDS, options.seconds - now))
        answered = answers(api_port) - base if api_port else 0
        timeline.append((time.monotonic() - began, load.count(200), answered, _rss_mib(worker)))
    shots = load.stop()
    took = time.monotonic() - began
    figures = summary(shots, took)
    # The pinned CPU is not the worker's alone on a shared machine: how much it had.
    used = _cpu_seconds(worker) - cpu_before
    figures["cpu_share"] = used / took
    answered_in_load = timeline[-1][2] if timeline else 0
    line = (
        f"{name:<8} {figures['acked_per_s']:7.0f} acked/s, ack p50 {figures['p50_ms']:6.1f} ms "
        f"p99 {figures['p99_ms']:6.1f} ms, worker CPU {figures['cpu_share']:4.0%}"
    )
    if not api_port:
        each = 1000 * used / max(figures["acked"], 1)
        print(line + f", {each:.2f} ms per ack  ({figures['other']} not 200)", flush=True)
        return figures
    accepted = figures["acked"]
    deadline = time.monotonic() + max(60.0, 4 * options.seconds)
    while (answered := answers(api_port) - base) < accepted and time.monotonic() < deadline:
        time.sleep(SAMPLE_SECONDS)
        timeline.append((time.monotonic() - began, accepted, answered, _rss_mib(worker)))
    figures["answered_per_s"] = answered_in_load / took
    # Every request's share, refusals included, until the last acknowledged is answered:
    # the worker's own cost of an answer, which the ratio below hides behind the bare
    # app's speed on the day.
    each = 1000 * (_cpu_seconds(worker) - cpu_before) / max(answered, 1)
    switches = (_switches(worker) - switches_before) / max(answered, 1)
    print(
        line + f", {figures['refused'] / took:5.0f} refused/s, "
        f"{figures['answered_per_s']:5.0f} answered/s during the burst; "
        f"{answered}/{accepted} answered {timeline[-1][0]:.1f} s after its start; "
        f"worker CPU {each:.2f} ms and {switches:.1f} thread switches per answer",
        flush=True,
    )
    _table(timeline)
    return figures


def _table(timeline: list[tuple[float, int, int, float]]) -> None:
    """About sixteen rows of the half-second samples, and always the last."""
    rows = timeline[:: max(1, len(timeline) // 16)]
    rows += [] if rows[-1] is timeline[-1] else timeline[-1:]
    print("          t s   acked  answered  backlog  worker RSS MiB")
    for at, acked, answered, rss in rows:
        print(f"        {at:5.1f} {acked:7d} {answered:9d} {acked - answered:8d} {rss:9.1f}")


def run(options: Options) -> None:
    cpus = os.sched_getaffinity(0)
    if len(cpus) > 1 and options.cpu in cpus:
        os.sched_setaffinity(0, cpus - {options.cpu})  # the load and the stand-in: elsewhere
    app_cpu = options.cpu if len(cpus) > 1 else None
    api_port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        api = [sys.executable, "-m", "bot.slackbench.webapi", str(api_port), str(options.api_ms)]
        with served(api, dict(os.environ), api_port, tmp / "webapi.log", None):
            env = {
                **os.environ,
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_BASE_URL": f"http://127.0.0.1:{api_port}/api/",
                "SLACK_HELPDESK_CHANNEL": "C0HELP",
                "HELPBOT_LOG_LEVEL": "WARNING",
                **dict(options.env),
            }
            env.pop("SLACK_APP_TOKEN", None)
            where = f"CPU {app_cpu}" if app_cpu is not None else "no CPU pinning (one CPU)"
            print(
                f"Slack bench: one gunicorn worker on {where}, {options.connections} "
                f"connections, {options.seconds:g} s bursts of signed message events, "
                f"Web API calls taking {options.api_ms:g} ms",
                flush=True,
            )
            ratios = []
            for round_ in range(1, options.rounds + 1):
                print(f"round {round_}", flush=True)
                port = free_port()
                bare = [sys.executable, "-m", "bot.slackbench.bare", str(port)]
                with served(bare, env, port, tmp / "bare.log", app_cpu) as process:
                    bare_figures = _measure("bare", port, _worker(process.pid), options, None)
                port = free_port()
                database = options.database or f"sqlite:///{tmp / f'round{round_}.db'}"
                helpbot = [sys.executable, "-m", "bot", "slack", "--host", "127.0.0.1"]
                helpbot += ["--port", str(port), "--workers", "1"]
                app_env = {**env, "DATABASE_URL": database}
                with served(helpbot, app_env, port, tmp / "helpbot.log", app_cpu) as process:
                    ours = _measure("helpbot", port, _worker(process.pid), options, api_port)
                ratio = ours["answered_per_s"] / bare_figures["acked_per_s"]
                ratios.append(ratio)
                print(f"         answered/s over bare acked/s: {ratio:.3f}", flush=True)
            print("ratios: " + ", ".join(f"{r:.3f}" for r in ratios))
