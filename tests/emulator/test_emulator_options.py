"""The emulator's options are declared once (``ingest.emulator.SERVE_OPTIONS``) and both entry points,
``python -m ingest.emulator serve`` and ``genrestore emulator serve``, offer exactly those."""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys

import typer

from ingest.emulator import REQUIRED, SERVE_OPTIONS, add_serve_arguments, create_app, serve
from tests.conftest import REPO


def _argparse_options() -> dict[str, object]:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    return {a.option_strings[0]: a.default for a in parser._actions if a.option_strings[0] != "-h"}


def _typer_options() -> dict[str, object]:
    import jobs.cli

    command = typer.main.get_command(jobs.cli.app).commands["emulator"].commands["serve"]
    return {p.opts[0]: p.default for p in command.params}


def _declared() -> dict[str, object]:
    return {o.flag: (None if o.default is REQUIRED else o.default) for o in SERVE_OPTIONS}


def test_both_entry_points_offer_the_declared_options_with_the_same_defaults(monkeypatch):
    monkeypatch.delenv("GENRESTORE_EMULATOR_SECRET", raising=False)
    declared = _declared()
    assert len(declared) == 16 and "--premium-lapsed" in declared and "--window-seconds" in declared
    assert _argparse_options() == declared
    assert _typer_options() == declared


def test_the_declared_options_are_the_keywords_of_serve_and_create_app():
    app_keywords = {name: p.default for name, p in inspect.signature(create_app).parameters.items()
                    if p.kind is inspect.Parameter.KEYWORD_ONLY}
    declared = {o.name: o.default for o in SERVE_OPTIONS if o.name not in ("catalog", "host", "port")}
    assert app_keywords == declared
    serve_keywords = set(inspect.signature(serve).parameters)
    assert {"catalog_dir", "host", "port"} <= serve_keywords


def test_the_secret_comes_from_its_documented_variable(monkeypatch):
    monkeypatch.setenv("GENRESTORE_EMULATOR_SECRET", "from-the-environment")
    assert _argparse_options()["--client-secret"] == "from-the-environment"
    import jobs.cli

    command = typer.main.get_command(jobs.cli.app).commands["emulator"].commands["serve"]
    assert next(p for p in command.params if p.name == "client_secret").envvar == "GENRESTORE_EMULATOR_SECRET"


def test_both_entry_points_refuse_the_same_value_in_one_line(cli, tmp_path):
    light = subprocess.run([sys.executable, "-m", "ingest.emulator", "serve", "--catalog", str(tmp_path),
                            "--rate", "0"], cwd=tmp_path, env={"PYTHONPATH": str(REPO)},
                           capture_output=True, text=True, timeout=120)
    full = cli("emulator", "serve", "--catalog", str(tmp_path), "--rate", "0")
    for result in (light, full):
        assert result.returncode == 2, result.stderr
        assert "--rate must be at least 1, not 0" in result.stderr and "Traceback" not in result.stderr
