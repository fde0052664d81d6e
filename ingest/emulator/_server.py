"""Running the emulator: uvicorn on 127.0.0.1 (httptools + uvloop when installed, no access log)."""

from __future__ import annotations

import logging
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
    """`python -m ingest.emulator serve --catalog DIR [...]`: a light entry point for subprocesses,
    with the options of ``genrestore emulator serve`` (both come from ``SERVE_OPTIONS``)."""
    import argparse

    from warehouse import UsageError

    from ._options import add_serve_arguments, check_serve_options

    p = argparse.ArgumentParser(prog="python -m ingest.emulator")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="serve a catalog")
    add_serve_arguments(s)
    options = vars(p.parse_args(argv))
    del options["cmd"]
    try:
        check_serve_options(options)
    except UsageError as exc:
        s.error(str(exc))

    def announce(url: str) -> None:
        print(f"READY {url}", flush=True)

    serve(options.pop("catalog"), announce=announce, **options)


if __name__ == "__main__":
    main(sys.argv[1:])
