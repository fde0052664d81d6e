"""Running the emulator: uvicorn on 127.0.0.1 (httptools + uvloop when installed, no access log)."""

from __future__ import annotations

import logging
import os
import socket
import sys
from pathlib import Path

from ._catalog import load_catalog


class _QuietTruncation(logging.Filter):
    """The truncated-body fault closes connections on purpose; uvicorn would log each as an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket (port 0 = a free port chosen by the OS)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(catalog_dir: str | Path, *, host: str = "127.0.0.1", port: int = 0, announce=None,
          log_level: str = "warning", **app_options) -> None:
    """Load the catalog, bind, call `announce(base_url)` once listening is possible, serve until stopped."""
    import uvicorn

    from ._app import create_app

    catalog = load_catalog(catalog_dir)
    app = create_app(catalog, **app_options)
    app.state.emulator.search_index.warm()
    sock = bind_socket(host, port)
    real_port = sock.getsockname()[1]
    logging.getLogger("uvicorn.error").addFilter(_QuietTruncation())
    loop = "auto"
    http = "auto"
    config = uvicorn.Config(app, log_level=log_level, access_log=False, loop=loop, http=http,
                            timeout_graceful_shutdown=1, lifespan="off", server_header=False, date_header=True)
    server = uvicorn.Server(config)
    if announce is not None:
        announce(f"http://{host}:{real_port}")
    server.run(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    """`python -m ingest.emulator serve --catalog DIR [...]`: a light entry point for subprocesses."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m ingest.emulator")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="serve a catalog")
    s.add_argument("--catalog", required=True)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--mode", default="extended", choices=["extended", "development"])
    s.add_argument("--dev-genres", action="store_true")
    s.add_argument("--rate", type=int, default=None)
    s.add_argument("--daily-quota", type=int, default=None)
    s.add_argument("--faults", default=None)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--client-id", default="genrestore-emulator")
    s.add_argument("--client-secret", default=os.environ.get("GENRESTORE_EMULATOR_SECRET", "emulator-secret"),
                   help="default: $GENRESTORE_EMULATOR_SECRET or emulator-secret")
    s.add_argument("--token-ttl", type=int, default=3600)
    s.add_argument("--offset-cap", type=int, default=1000)
    s.add_argument("--window-seconds", type=float, default=30.0)
    s.add_argument("--penalty-step", type=float, default=1.0)
    s.add_argument("--premium-lapsed", action="store_true")
    a = p.parse_args(argv)

    def announce(url: str) -> None:
        print(f"READY {url}", flush=True)

    serve(a.catalog, host=a.host, port=a.port, announce=announce, mode=a.mode, dev_genres=a.dev_genres,
          rate=a.rate, daily_quota=a.daily_quota, faults=a.faults, seed=a.seed, client_id=a.client_id,
          client_secret=a.client_secret, token_ttl=a.token_ttl, offset_cap=a.offset_cap,
          window_seconds=a.window_seconds, penalty_step=a.penalty_step, premium_lapsed=a.premium_lapsed)


if __name__ == "__main__":
    main(sys.argv[1:])
