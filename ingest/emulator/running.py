"""Run the emulator in a real subprocess on a free port (the demo, the benchmarks and the tests do), and
cached synthetic catalogs.

    with running_emulator(synthetic_catalog(tmp_path_factory.getbasetemp()), rate=50) as emu:
        client = MyClient(api_url=emu.api_url, token_url=emu.token_url,
                          client_id=emu.client_id, client_secret=emu.client_secret)
        ...
        assert emu.stats()["rate_limited"] > 0
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

_REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunningEmulator:
    """Where a running emulator listens, its credentials, and its control endpoints."""

    base_url: str
    client_id: str
    client_secret: str
    process: subprocess.Popen

    @property
    def api_url(self) -> str:
        return self.base_url + "/v1"

    @property
    def token_url(self) -> str:
        return self.base_url + "/api/token"

    @property
    def pid(self) -> int:
        return self.process.pid

    def _call(self, method: str, path: str) -> dict:
        req = urllib.request.Request(self.base_url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def stats(self) -> dict:
        """GET /_emulator/stats: requests by endpoint and status, 429s, current window count, faults."""
        return self._call("GET", "/_emulator/stats")

    def reset(self) -> dict:
        """Clear statistics, rate-limit state, bans and the fault sequence."""
        return self._call("POST", "/_emulator/reset")

    def ban(self, seconds: float) -> dict:
        """Make every API call answer 429 with Retry-After ≈ seconds (0 lifts it)."""
        return self._call("POST", f"/_emulator/ban?seconds={seconds}")


    def premium_lapsed(self, lapsed: bool = True) -> dict:
        """Development mode: every API call answers 403 with Spotify's Premium message (False restores)."""
        return self._call("POST", f"/_emulator/premium?lapsed={int(lapsed)}")


def _options_to_args(options: dict) -> list[str]:
    args: list[str] = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        else:
            args += [flag, str(value)]
    return args


@contextlib.contextmanager
def running_emulator(catalog_dir: str | Path, *, startup_timeout: float = 60.0,
                     **create_app_options) -> Iterator[RunningEmulator]:
    """Start `python -m ingest.emulator serve` on a free port; yield a RunningEmulator; stop it on exit.

    Options are those of create_app (mode, dev_genres, rate, daily_quota, faults, seed, client_id,
    client_secret, token_ttl, offset_cap, window_seconds, penalty_step, premium_lapsed).
    """
    client_id = create_app_options.get("client_id", "genrestore-emulator")
    client_secret = create_app_options.pop("client_secret", "emulator-secret")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(_REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["GENRESTORE_EMULATOR_SECRET"] = client_secret  # not on the command line, where `ps` shows it
    cmd = [sys.executable, "-m", "ingest.emulator", "serve", "--catalog", str(catalog_dir), "--port", "0",
           *_options_to_args(create_app_options)]
    # stderr goes to a file, never a pipe: a long faulty run must not block on a full pipe buffer.
    errlog = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errlog, text=True, env=env,
                            start_new_session=True)
    proc.errlog = errlog  # type: ignore[attr-defined]
    try:
        base = _wait_ready(proc, startup_timeout)
        emu = RunningEmulator(base, client_id, client_secret, proc)
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                emu.stats()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"emulator did not become ready: {_stderr(proc) or 'timeout'}")
                time.sleep(0.05)
        yield emu
    finally:
        _stop(proc)


def _wait_ready(proc: subprocess.Popen, timeout: float) -> str:
    result: dict = {}

    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]  # keeps draining after READY
            if line.startswith("READY ") and "url" not in result:
                result["url"] = line.split(None, 1)[1].strip()
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    proc.reader = reader  # type: ignore[attr-defined]
    reader.start()
    ready.wait(timeout)
    if "url" not in result:
        err = _stderr(proc)
        _stop(proc)
        raise RuntimeError(f"emulator failed to start (exit {proc.returncode}): {err.strip()[-2000:]}")
    return result["url"]


def _stderr(proc: subprocess.Popen) -> str:
    log = getattr(proc, "errlog", None)
    if log is None or log.closed:
        return ""
    log.flush()
    log.seek(0)
    return log.read()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    reader = getattr(proc, "reader", None)
    if reader is not None:
        reader.join(timeout=5)  # it ends at EOF, now that the process is gone
    if proc.stdout and (reader is None or not reader.is_alive()):
        proc.stdout.close()
    log = getattr(proc, "errlog", None)
    if log is not None:
        log.close()


def synthetic_catalog(tmp_dir: str | Path, artists: int = 2000, seed: int = 7) -> Path:
    """A synthetic catalog under tmp_dir, built once per (artists, seed) and reused afterwards."""
    from ._synthetic import build_synthetic_catalog

    out = Path(tmp_dir) / f"emulator-catalog-syn-{artists}-{seed}"
    if not (out / "manifest.json").is_file():
        # Build beside and rename, so concurrent test workers never see half a catalog.
        tmp = out.with_name(out.name + f".tmp{os.getpid()}")
        build_synthetic_catalog(tmp, artists=artists, seed=seed)
        try:
            os.replace(tmp, out)
        except OSError:  # another worker won the race
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return out


def spotipy_client(emu: RunningEmulator, *, client_secret: str | None = None, timeout: float = 10,
                   raw_errors: bool = False):
    """spotipy, unchanged, pointed at the emulator: token URL by subclass, API prefix by attribute.

    retries=0 so nothing sleeps. Even so, spotipy's urllib3 adapter turns a 429/5xx into a generic
    "Max Retries" 429 without headers (docs §5.4); raw_errors=True uses spotipy's session-less mode
    (requests_session=False), where the real status, Retry-After and error reason come through.
    """
    import spotipy
    from spotipy.cache_handler import MemoryCacheHandler
    from spotipy.oauth2 import SpotifyClientCredentials

    class EmulatorCredentials(SpotifyClientCredentials):
        OAUTH_TOKEN_URL = emu.token_url

    auth = EmulatorCredentials(client_id=emu.client_id, client_secret=client_secret or emu.client_secret,
                               cache_handler=MemoryCacheHandler())
    sp = spotipy.Spotify(auth_manager=auth, retries=0, requests_timeout=timeout,
                         requests_session=not raw_errors)
    sp.prefix = emu.api_url + "/"
    return sp
