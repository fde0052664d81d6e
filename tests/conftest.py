"""Shared fixtures: isolated settings, the real data directory (or a skip), CLI subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import warehouse

# Models fit in this process too: passive OpenMP waiting, as `genrestore` sets it (jobs.cli.main),
# before jobs' settings import modeling and LightGBM.
warehouse.prepare_process()

from jobs import Settings, load_settings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def real_data_dir() -> Path:
    return Path(os.environ.get("GENRESTORE_DATA", REPO.parent / "shared" / "data")).resolve()


@pytest.fixture
def data_dir() -> Path:
    """../shared/data (or GENRESTORE_DATA); tests that need it skip with the reason when absent."""
    d = real_data_dir()
    if not (d / "musicoset").is_dir():
        pytest.skip(f"real data sets not found at {d} (set GENRESTORE_DATA)")
    return d


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings rooted in a temporary var/ directory, unaffected by the developer's environment."""
    for key in list(os.environ):
        if key.startswith(("GENRESTORE_", "SPOTIFY_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GENRESTORE_DATA", str(real_data_dir()))
    return load_settings(var_dir=tmp_path / "var")


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, input: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `genrestore ARGS` in a real subprocess (python -m jobs, same interpreter)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("GENRESTORE_", "SPOTIFY_"))}
    full_env["GENRESTORE_DATA"] = str(real_data_dir())
    full_env["PYTHONPATH"] = str(REPO)
    full_env.update(env or {})
    # Hermetic: the checkout's own var/ (after a `make demo` there) is never found in its place
    # (see warehouse.settings.default_var_dir); a test that names its settings keeps them.
    given = {"--var", "--config"} & {a.split("=")[0] for a in args} or {"GENRESTORE_VAR_DIR", "GENRESTORE_CONFIG"} & set(full_env)
    if not given and not (Path(cwd or ".") / "genrestore.toml").exists():
        args = ("--var", str(Path(cwd or ".").absolute() / "var"), *args)
    return subprocess.run(
        [sys.executable, "-m", "jobs", *args], cwd=cwd, env=full_env, input=input,
        capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture
def cli(tmp_path):
    """Call the CLI in a subprocess with cwd = tmp_path (so var/ lands there)."""

    def call(*args: str, **kw) -> subprocess.CompletedProcess:
        kw.setdefault("cwd", tmp_path)
        return run_cli(*args, **kw)

    return call


@pytest.fixture(scope="session")
def musicoset_warehouse(tmp_path_factory) -> Path:
    """A warehouse file with the real MusicOSet imported (once per test session); skips without data.

    Closed after the import: open it with ``warehouse.Writer`` to write or
    ``warehouse.connect_readonly`` to read. Treat it as shared and read-only; copy it to modify it.
    """
    d = real_data_dir()
    if not (d / "musicoset").is_dir():
        pytest.skip(f"real data sets not found at {d} (set GENRESTORE_DATA)")
    from warehouse import Writer
    from ingest.datasets import import_musicoset

    path = tmp_path_factory.mktemp("musicoset_warehouse") / "warehouse.duckdb"
    with Writer(path, command="tests: musicoset_warehouse") as writer:
        import_musicoset(writer, d / "musicoset", progress=False)
    return path


@pytest.fixture(scope="session")
def musicoset_snapshot(musicoset_warehouse, tmp_path_factory):
    """A published snapshot (``warehouse.SnapshotInfo``) of :func:`musicoset_warehouse`."""
    from warehouse import Writer, create_snapshot

    snapshots = tmp_path_factory.mktemp("musicoset_snapshots")
    with Writer(musicoset_warehouse, command="tests: musicoset_snapshot") as writer:
        return create_snapshot(writer, snapshots)


@pytest.fixture(scope="session")
def pg_cluster():
    """A private PostgreSQL cluster for the session (free port, temp dir, non-root user); skips
    with the reason when PostgreSQL is not installed."""
    from warehouse import PrivateCluster, postgres_bin_dir

    if postgres_bin_dir() is None:
        pytest.skip("PostgreSQL is not installed (no initdb; apt-get install postgresql)")
    import importlib.util

    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed (pip install 'psycopg[binary]')")
    with PrivateCluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster, request) -> str:
    """The URL of a new, empty database in the session's private cluster."""
    import re

    import psycopg

    name = "t_" + re.sub(r"\W", "_", request.node.name.lower())[:40] + f"_{os.getpid()}_{id(request) % 10**6}"
    with psycopg.connect(pg_cluster.url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return pg_cluster.url.rsplit("/", 1)[0] + "/" + name
