"""Slack's side of the benchmark: signed message events, sent as fast as the app answers.

Each of ``connections`` threads keeps one HTTP/1.1 connection open and sends the next
event as soon as the last is answered (a closed loop, as a busy workspace is for the app:
Slack keeps several connections and never waits for our work, only for our ack).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bot.bench import SAMPLE
from bot.config import PROJECT_ROOT

PAYLOAD = PROJECT_ROOT / "tests" / "data" / "slack" / "event_message_im.json"
PEOPLE = 200  # distinct staff writing, each in their own DM with the app


@dataclass
class Shot:
    """One request: when it was sent (monotonic seconds), how long the answer took, status."""

    sent: float
    took: float
    status: int


@dataclass
class Connection:
    shots: list[Shot] = field(default_factory=list)
    errors: int = 0


class Events:
    """Message events like Slack's, each with its own event id, signed as Slack signs them."""

    def __init__(self, secret: str, run: str) -> None:
        self.secret = secret.encode()
        self.template = json.loads(PAYLOAD.read_text())
        self.run = run
        self._numbers = itertools.count()

    def next(self) -> tuple[bytes, dict[str, str]]:
        n = next(self._numbers)
        person = n % PEOPLE
        ts = f"{time.time():.6f}"
        body = dict(self.template)
        body["event"] = {
            **self.template["event"],
            "user": f"UBENCH{person:04d}",
            "channel": f"DBENCH{person:04d}",
            "text": SAMPLE[n % len(SAMPLE)],
            "ts": ts,
            "event_ts": ts,
            "client_msg_id": f"{self.run}-{n}",
        }
        body["event_id"] = f"Ev{self.run}{n:08d}"
        data = json.dumps(body).encode()
        when = str(int(time.time()))
        signature = hmac.new(self.secret, b"v0:" + when.encode() + b":" + data, hashlib.sha256)
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": when,
            "X-Slack-Signature": "v0=" + signature.hexdigest(),
        }
        return data, headers


class Load:
    """``connections`` threads sending ``events`` to ``port`` until ``stop``."""

    def __init__(self, port: int, path: str, events: Events, connections: int) -> None:
        self.port = port
        self.path = path
        self.events = events
        self.connections = [Connection() for _ in range(connections)]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for conn in self.connections:
            thread = threading.Thread(target=self._send, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> list[Shot]:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        return sorted((s for c in self.connections for s in c.shots), key=lambda s: s.sent)

    def count(self, status: int) -> int:
        """How many answers with ``status`` so far (read while the threads run)."""
        return sum(1 for c in self.connections for s in list(c.shots) if s.status == status)

    def _send(self, conn: Connection) -> None:
        # A plain socket, not http.client: parsing every answer's headers with the email
        # package cost the load generator more than the bare app spends on a request.
        sock: socket.socket | None = None
        while not self._stop.is_set():
            body, headers = self.events.next()
            lines = [f"POST {self.path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            lines.append(f"Content-Length: {len(body)}")
            request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
                    reader = sock.makefile("rb")
                began = time.monotonic()
                sock.sendall(request)
                status, closing = _read_response(reader)
            except (OSError, ValueError, IndexError):
                conn.errors += 1
                if sock is not None:
                    sock.close()
                sock = None  # a new connection next time round
                continue
            conn.shots.append(Shot(began, time.monotonic() - began, status))
            if closing:
                sock.close()
                sock = None
        if sock is not None:
            sock.close()


def _read_response(reader: Any) -> tuple[int, bool]:
    """The status of one HTTP/1.1 answer read whole, and whether the server will close."""
    status = int(reader.readline().split()[1])
    length, closing = 0, False
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            closing = value.strip().lower() == b"close"
    reader.read(length)
    return status, closing


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(shots: list[Shot], seconds: float) -> dict[str, Any]:
    acked = [s.took for s in shots if s.status == 200]
    return {
        "acked": len(acked),
        "acked_per_s": len(acked) / seconds,
        "refused": sum(1 for s in shots if s.status == 503),
        "other": sum(1 for s in shots if s.status not in (200, 503)),
        "p50_ms": percentile(acked, 0.5) * 1000,
        "p99_ms": percentile(acked, 0.99) * 1000,
    }
