"""Test helpers that do not need the emulator: a real token server on 127.0.0.1 (spotipy talks to
it over HTTP) and a tiny scripted catalog served through httpx.MockTransport, the client's one
transport seam."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


class TokenServer:
    """POST /api/token → a new token each time (token-1, token-2, ...); counts requests."""

    def __init__(self, client_id="cid", client_secret="s3cr3t-value", expires_in=3600):
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_in = expires_in
        self.issued: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                import base64

                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                auth = self.headers.get("Authorization", "")
                expected = "Basic " + base64.b64encode(f"{outer.client_id}:{outer.client_secret}".encode()).decode()
                if auth != expected:
                    body, status = {"error": "invalid_client", "error_description": "Invalid client"}, 400
                else:
                    token = f"token-{len(outer.issued) + 1}"
                    outer.issued.append(token)
                    body, status = {"access_token": token, "token_type": "bearer",
                                    "expires_in": outer.expires_in}, 200
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/token"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def json_response(status: int, body, headers=None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers={
        "Content-Type": "application/json", **(headers or {})})


class Scripted:
    """A MockTransport handler answering from a list of responses (then the last one forever)."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        return item(request) if callable(item) else item

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)
