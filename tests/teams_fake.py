"""A local stand-in for Microsoft's side of Teams: the Bot Connector and its sign-in.

It serves the signing keys (JWKS) of a key the test made, signs tokens as the Bot
Connector would, records every activity the bot posts or updates, answers with a
status the test queues (429, 403...), and hands out access tokens on a small TLS
authority the bot's MSAL client is pointed at. Nothing is faked inside helpbot.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

APP_ID = "00000000-0000-4000-8000-00000000b07a"
TENANT = "00000000-0000-4000-8000-0000000000aa"
ISSUER = "https://api.botframework.com"
KID = "test-key"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class Posted:
    method: str
    path: str
    body: dict[str, Any]
    answered: int

    @property
    def card(self) -> dict[str, Any] | None:
        for found in self.body.get("attachments") or []:
            if found.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return found["content"]
        return None

    @property
    def text(self) -> str:
        card = self.card
        return card["body"][0]["text"] if card else str(self.body.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        card = self.card or {}
        return [a for a in card.get("actions", []) if a["type"] == "Action.Submit"]


@dataclass
class FakeConnector:
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    posted: list[Posted] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses for the next posts
    tokens_issued: int = 0
    _lock: threading.Condition = field(default_factory=threading.Condition)

    def start(self, folder: Path) -> FakeConnector:
        self.cert = self._certificate(folder)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._tls = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, folder / "fake-key.pem")
        self._tls.socket = context.wrap_socket(self._tls.socket, server_side=True)
        for server in (self._http, self._tls):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in (self._http, self._tls):
            server.shutdown()
            server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/"

    @property
    def authority(self) -> str:
        return f"https://127.0.0.1:{self._tls.server_address[1]}/adfs"

    def environment(self) -> dict[str, str]:
        """What ``helpbot teams`` needs to talk to this fake and nothing else."""
        prefix = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
        return {
            prefix + "CLIENTID": APP_ID,
            prefix + "CLIENTSECRET": "test-client-secret",
            prefix + "TENANTID": TENANT,
            prefix + "AUTHORITY": self.authority,
            "REQUESTS_CA_BUNDLE": str(self.cert),  # MSAL trusts the fake authority
            "HELPBOT_TEAMS_TEST_JWKS_URL": self.url + "jwks",
            "HELPBOT_TEAMS_SERVICE_HOSTS": "127.0.0.1",
        }

    # -- tokens --------------------------------------------------------------------------

    def token(
        self,
        *,
        key: rsa.RSAPrivateKey | None = None,
        audience: str = APP_ID,
        expires_in: float = 3600,
        service_url: str | None = None,
    ) -> str:
        now = int(time.time())  # tokens are checked against the real clock, as in Teams
        claims = {"iss": ISSUER, "aud": audience, "iat": now - 10, "nbf": now - 10}
        claims["exp"] = now + int(expires_in)
        claims["serviceurl"] = service_url or self.url
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": KID})

    # -- what the bot sent ---------------------------------------------------------------

    def wait(
        self,
        count: int = 1,
        timeout: float = 20.0,
        where: Callable[[Posted], bool] | None = None,
        **match: Any,
    ) -> list[Posted]:
        """The first ``count`` posts whose fields equal ``match`` (and that pass ``where``),
        waiting for them."""

        def found() -> list[Posted]:
            return [
                p
                for p in self.posted
                if all(getattr(p, k) == v for k, v in match.items()) and (not where or where(p))
            ]

        with self._lock:
            self._lock.wait_for(lambda: len(found()) >= count, timeout)
            got = found()
        seen = [(p.method, p.path, p.answered, p.text[:60]) for p in self.posted]
        assert len(got) >= count, f"expected {count} posts like {match}, got {seen}"
        return got[:count]

    def messages(self, conversation: str) -> list[Posted]:
        return [
            p
            for p in self.posted
            if p.method == "POST" and p.body.get("type") == "message" and conversation in p.path
        ]

    # -- the servers ---------------------------------------------------------------------

    def _answer(self, method: str, path: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        if method == "GET" and path == "/jwks":
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return 200, {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}
        if method == "GET" and path.startswith("/adfs/.well-known/openid-configuration"):
            base = self.authority
            return 200, {
                "issuer": base,
                "authorization_endpoint": f"{base}/oauth2/authorize",
                "token_endpoint": f"{base}/oauth2/token",
            }
        if method == "POST" and path.startswith("/adfs/oauth2/token"):
            self.tokens_issued += 1
            return 200, {
                "access_token": "fake-outbound",
                "token_type": "Bearer",
                "expires_in": 3600,
            }
        if path.startswith("/v3/conversations/"):
            body = json.loads(raw or b"{}")
            with self._lock:
                status = self.failures.pop(0) if self.failures else 200
                self.posted.append(Posted(method, path, body, status))
                self._lock.notify_all()
            if status != 200:
                return status, {"error": {"code": "Fake", "message": f"fake {status}"}}
            return 200, {"id": f"sent-{len(self.posted)}"}
        return 404, {"error": "not found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, body = fake._answer(self.command, self.path, self.rfile.read(length))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve  # noqa: N815 - http.server's names

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    @staticmethod
    def _certificate(folder: Path) -> Path:
        key = new_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        path = folder / "fake-cert.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "fake-key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        return path
