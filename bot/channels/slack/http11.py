"""One HTTP/1.1 POST and its answer over a kept-alive socket: the Web API call that every
answer makes (``chat.postMessage``).

``http.client`` reads every answer's headers through the email package, which cost the
bot more than the rest of the exchange. Only three headers decide how an answer's body
is read and whether the connection stays open (its length, chunking, closing), so this
reads the status line and the header lines itself, and nothing more than that.
"""

from __future__ import annotations

import http.client
import re
import select
import socket
import ssl
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import SplitResult

MAX_LINE = 65_536  # as http.client: a longer line is not an HTTP answer we understand
MAX_HEADERS = 100
CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
RECEIVE = 65_536  # bytes asked of the socket at a time


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names lower-cased; a repeated name's values joined by commas
    body: bytes


class Lines(Protocol):
    """What ``read_answer`` reads from: a socket's ``Reader``, or ``io.BytesIO``."""

    def readline(self, limit: int, /) -> bytes: ...

    def read(self, size: int = -1, /) -> bytes: ...


class Reader:
    """What has come in on a socket and not been read yet.

    Not ``socket.makefile``: its buffer cannot say whether it holds bytes without trying
    to read more, and a connection can only be reused when nothing is left over.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.data = b""
        self.at = 0  # what is before it in ``data`` has been read

    def left(self) -> int:
        return len(self.data) - self.at

    def readline(self, limit: int, /) -> bytes:
        while True:
            end = self.data.find(b"\n", self.at, self.at + limit)
            if end < 0 and self.left() < limit and self._more():
                continue
            end = self.at + limit if end < 0 else end + 1
            line, self.at = self.data[self.at : end], min(end, len(self.data))
            return line

    def read(self, size: int = -1, /) -> bytes:
        while (size < 0 or self.left() < size) and self._more():
            pass
        end = len(self.data) if size < 0 else min(self.at + size, len(self.data))
        data, self.at = self.data[self.at : end], end
        return data

    def _more(self) -> bool:
        """Receive what comes next; False at the end of the connection."""
        received = self.sock.recv(RECEIVE)
        self.data, self.at = self.data[self.at :] + received, 0
        return bool(received)


class Link:
    """One connection to ``host``, opened on first use and kept while the server allows.

    A call that fails closes it; the next call opens a new one.
    """

    def __init__(
        self, origin: SplitResult, timeout: float | None, context: ssl.SSLContext | None
    ) -> None:
        self.https = origin.scheme == "https"
        self.address = (origin.hostname or "", origin.port or (443 if self.https else 80))
        self.host = origin.netloc  # the Host header
        self.timeout = timeout
        self.context = context
        self._sock: socket.socket | None = None
        self._reader: Reader | None = None
        self._poll = select.poll()
        self.answered = 0  # calls answered on the connection now open

    def connect(self) -> None:
        """Open the connection now, if it is not open and idle: a failure here sent
        nothing."""
        if self._sock is not None:
            if self._idle():
                return
            # The server closed it meanwhile (an idle timeout), or sent bytes no call asked
            # for (then every later answer would be read one behind): a new one, before
            # anything is sent on this one.
            self.close()
        sock = socket.create_connection(self.address, timeout=self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.https:
                if self.context is None:  # as http.client's default, made once per link
                    self.context = ssl.create_default_context()
                sock = self.context.wrap_socket(sock, server_hostname=self.address[0])
        except BaseException:
            sock.close()
            raise
        self._sock, self._reader, self.answered = sock, Reader(sock), 0
        self._poll.register(sock, select.POLLIN)

    def post(self, target: str, headers: dict[str, str], body: bytes) -> Answer:
        if self._sock is None:
            self.connect()
        assert self._sock is not None and self._reader is not None
        head = [f"POST {target} HTTP/1.1", f"Host: {self.host}", "Accept-Encoding: identity"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        head.append(f"Content-Length: {len(body)}")
        try:
            self._sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            answer, keep = read_answer(self._reader)
        except BaseException:
            self.close()
            raise
        self.answered += 1
        if not keep:
            self.close()
        return answer

    def close(self) -> None:
        if self._sock is not None:
            self._poll.unregister(self._sock)
            self._sock.close()
        self._sock = self._reader = None

    def _idle(self) -> bool:
        """Whether nothing has come in on the open connection since its last answer:
        no byte left unread, none decrypted and waiting, and none (nor its end) on the
        socket."""
        assert self._sock is not None and self._reader is not None
        if self._reader.left() or (self.https and self._sock.pending()):  # type: ignore[attr-defined]
            return False
        return not self._poll.poll(0)


def read_answer(reader: Lines) -> tuple[Answer, bool]:
    """An answer read whole, and whether its connection may carry the next request."""
    while True:
        version, status = _status_line(reader)
        headers = _headers(reader)
        if not 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
            break
    keep = version == b"HTTP/1.1" and "close" not in headers.get("connection", "").lower()
    coding = headers.get("content-encoding", "identity").strip().lower()
    if coding != "identity":  # only identity was asked for
        raise http.client.HTTPException(f"an answer in an encoding not asked for: {coding!r}")
    transfer = headers.get("transfer-encoding")
    if status in (204, 304):  # no body, whatever the headers say
        body = b""
    elif transfer is not None:
        if transfer.strip().lower() != "chunked":  # no other coding was offered (no TE)
            raise http.client.HTTPException(f"a transfer coding not asked for: {transfer!r}")
        body = _chunked(reader)
    elif "content-length" in headers:
        body = _exactly(reader, _length(headers["content-length"]))
    else:  # the body ends when the server closes the connection
        body, keep = reader.read(), False
    return Answer(status, headers, body), keep


def _line(reader: Lines) -> bytes:
    line = reader.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise http.client.LineTooLong("header line")
    return line


def _status_line(reader: Lines) -> tuple[bytes, int]:
    line = _line(reader)
    if not line:
        # What http.client raises here too: a kept-alive connection the server had closed.
        raise http.client.RemoteDisconnected("Remote end closed connection without response")
    parts = line.split(None, 2)
    # As http.client: three ASCII digits, from 100 to 999.
    if (
        len(parts) < 2
        or not parts[0].startswith(b"HTTP/1.")
        or len(parts[1]) != 3
        or not parts[1].isdigit()  # bytes: ASCII digits only
        or parts[1] < b"100"
    ):
        raise http.client.BadStatusLine(line.decode("latin-1").strip())
    return parts[0], int(parts[1])


def _headers(reader: Lines) -> dict[str, str]:
    """The header lines, names lower-cased; a repeated name's values joined by commas,
    as one header of that name means (RFC 9110, 5.3)."""
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS):
        line = _line(reader)
        if line in (b"\r\n", b"\n", b""):
            return headers
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon:
            raise http.client.HTTPException(f"not a header line: {line[:80]!r}")
        name, value = name.strip().lower(), value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    raise http.client.HTTPException(f"more than {MAX_HEADERS} headers")


def _length(text: str) -> int:
    """The Content-Length; repeated, every value must be the same."""
    values = {value.strip() for value in text.split(",")}
    if len(values) != 1 or not (value := values.pop()).isdigit() or not value.isascii():
        raise http.client.HTTPException(f"not a Content-Length: {text[:80]!r}")
    return int(value)


def _exactly(reader: Lines, size: int) -> bytes:
    data = reader.read(size)
    if len(data) < size:
        raise http.client.IncompleteRead(data, size - len(data))
    return data


def _chunked(reader: Lines) -> bytes:
    parts = []
    while True:
        line = _line(reader)
        if not line:  # the connection ended inside the body
            raise http.client.IncompleteRead(b"".join(parts))
        size_text = line.split(b";", 1)[0].strip()
        if not CHUNK_SIZE.fullmatch(size_text):
            raise http.client.HTTPException(f"not a chunk size: {size_text[:80]!r}")
        size = int(size_text, 16)
        if size == 0:
            break
        parts.append(_exactly(reader, size))
        if _line(reader) not in (b"\r\n", b"\n"):  # the chunk's closing line break
            raise http.client.HTTPException(f"a chunk longer than its size, {size}")
    while _line(reader) not in (b"\r\n", b"\n", b""):
        pass  # trailers: none of them matter here
    return b"".join(parts)
