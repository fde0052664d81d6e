"""`genrestore catalog build` and `genrestore emulator serve` in real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx

from ingest.emulator.running import _REPO


def test_catalog_build_synthetic_and_bad_options(cli, tmp_path):
    out = tmp_path / "cat"
    r = cli("catalog", "build", "--from", "synthetic", "--artists", "300", "--seed", "2", "--out", str(out))
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["artists"] == 300 and manifest["params"]["seed"] == 2
    assert "artists 300" in r.stdout
    r = cli("catalog", "build", "--from", "nowhere", "--out", str(out))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "--from must be" in r.stderr


def test_emulator_serve_prints_urls_and_serves(cli, tmp_path, catalog_dir):
    r = cli("emulator", "serve", "--catalog", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "not a catalog" in r.stderr and "Traceback" not in r.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENRESTORE_", "SPOTIFY_"))}
    env["PYTHONPATH"] = str(_REPO)
    proc = subprocess.Popen([sys.executable, "-m", "jobs", "emulator", "serve", "--catalog", str(catalog_dir),
                             "--port", "0", "--mode", "development", "--rate", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        base = line.rsplit(" ", 1)[1].strip()
        lines = [proc.stdout.readline() for _ in range(5)]
        assert any("token url" in x and base + "/api/token" in x for x in lines)
        for _ in range(100):
            try:
                tok = httpx.post(base + "/api/token", data={"grant_type": "client_credentials"},
                                 auth=("genrestore-emulator", "emulator-secret")).json()["access_token"]
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        statuses = [httpx.get(base + "/v1/search", params={"q": "a", "type": "artist"},
                              headers={"Authorization": f"Bearer {tok}"}).status_code for _ in range(7)]
        assert statuses == [200] * 5 + [429] * 2
        assert httpx.get(base + "/_emulator/stats").json()["mode"] == "development"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
