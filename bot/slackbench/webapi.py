"""A stand-in for Slack's Web API that counts answers: ``python -m bot.slackbench.webapi PORT
[MS]``, MS being how long each call takes (slack.com's are tens to hundreds of ms away).

It answers the methods the app calls while benchmarked (``auth.test``, ``chat.postMessage``
and a few more) with ``ok``, and counts each ``chat.postMessage`` as one answer.
``GET /stats`` says how many so far. It runs in a process of its own on asyncio, so
that it answers faster than the app under test can call it (one connection per call, as
slack_sdk makes them) without taking the load generator's interpreter.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys

AUTH = {
    "ok": True,
    "url": "https://bench.slack.com/",
    "team": "Bench",
    "user": "helpbot",
    "team_id": "T0001",
    "user_id": "UBOT0001",
    "bot_id": "B0001",
}


class Counter:
    def __init__(self) -> None:
        self.answers = 0
        self.calls = 0
        self._ts = itertools.count(1)

    def answer(self, path: str) -> dict[str, object]:
        method = path.rsplit("/", 1)[-1]
        self.calls += 1
        if method == "auth.test":
            return AUTH
        if method == "chat.postMessage":
            self.answers += 1
        return {"ok": True, "ts": f"{1700000000 + next(self._ts)}.000100"}

    def stats(self) -> dict[str, object]:
        return {"answers": self.answers, "calls": self.calls}


async def serve(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count: Counter, delay: float
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
            await reader.readexactly(int(headers.get("content-length", "0")))
            if method == "GET":
                found = count.stats()
            else:
                await asyncio.sleep(delay)
                found = count.answer(path)
            body = json.dumps(found).encode()
            closing = headers.get("connection") == "close"
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n".encode()
                + (b"Connection: close\r\n" if closing else b"")
                + b"\r\n"
                + body
            )
            await writer.drain()
            if closing:
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int, delay: float) -> None:
    count = Counter()
    server = await asyncio.start_server(
        lambda r, w: serve(r, w, count, delay), "127.0.0.1", port, backlog=1024
    )
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]) / 1000 if len(sys.argv) > 2 else 0.0))
