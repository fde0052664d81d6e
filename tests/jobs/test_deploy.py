"""deploy/: the systemd unit's ExecStart runs (a scheduler that `jobs next` sees, stopped cleanly
by SIGTERM), and every genrestore command the unit and the crontab name has a working --help."""

from __future__ import annotations

import configparser
import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import typer.main

from jobs.cli import app
from tests.conftest import REPO, real_data_dir, run_cli
from tests.jobs.test_scheduler import wait_for

UNIT = REPO / "deploy" / "genrestore-scheduler.service"
CRON = REPO / "deploy" / "genrestore.cron"
_GLOBAL_WITH_VALUE = {"--config", "--var", "--data"}


def _unit_exec_start() -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    parser.read_string(UNIT.read_text())
    assert parser["Install"]["WantedBy"] and parser["Service"]["Type"] == "simple"
    return shlex.split(parser["Service"]["ExecStart"])


def _cron_commands() -> list[list[str]]:
    out = []
    for line in CRON.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" in line.split()[0]:
            continue
        out.append(shlex.split(line)[5:])  # after the five time fields
    return out


def _command_path(argv: list[str]) -> tuple[list[str], list[str]]:
    """(global options, command path) of a genrestore command line, e.g. (['--config', 'X'], ['jobs', 'run'])."""
    assert argv[0].endswith("/genrestore"), argv
    args, options, path = argv[1:], [], []
    group = typer.main.get_command(app)
    while args and args[0].startswith("-"):
        options += args[:2] if args[0] in _GLOBAL_WITH_VALUE else args[:1]
        args = args[2:] if args[0] in _GLOBAL_WITH_VALUE else args[1:]
    while args and hasattr(group, "commands") and args[0] in group.commands:
        group = group.commands[args[0]]
        path.append(args.pop(0))
    assert path, f"no genrestore command in {argv}"
    return options, path


def test_every_command_the_unit_and_crontab_name_has_a_working_help():
    lines = [_unit_exec_start(), *_cron_commands()]
    assert len(lines) >= 3
    for argv in lines:
        _, path = _command_path(argv)
        res = run_cli(*path, "--help", timeout=120)
        assert res.returncode == 0 and "Usage" in res.stdout, (path, res.stderr[-1000:])


def test_unit_exec_start_runs_the_scheduler_and_stops_on_sigterm(tmp_path):
    argv = _unit_exec_start()
    options, path = _command_path(argv)
    assert path == ["scheduler"]
    config = tmp_path / "genrestore.toml"
    config.write_text('var_dir = "var"\n[schedules.crawl]\nenabled = false\n')
    # The unit's command line with this checkout for the program and a test settings file.
    i = argv.index("--config")
    command = [sys.executable, "-m", "jobs", *argv[1:i + 1], str(config), *argv[i + 2:]]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENRESTORE_", "SPOTIFY_"))}
    env.update(PYTHONPATH=str(REPO), GENRESTORE_DATA=str(real_data_dir()))
    elsewhere = tmp_path / "elsewhere"  # systemd's WorkingDirectory does not matter
    elsewhere.mkdir()
    before = json.loads(run_cli("--config", str(config), "jobs", "next", "--json", cwd=elsewhere).stdout)
    assert before["job_store"] is None and before["scheduler"] is None
    assert {j["job"]: j["source"] for j in before["jobs"]}["report"] == "schedule"  # computed, no store yet
    log = tmp_path / "scheduler.log"
    proc = subprocess.Popen(command, cwd=elsewhere, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    try:
        def store_seen():
            res = run_cli("--config", str(config), "jobs", "next", "--json", cwd=elsewhere, timeout=120)
            got = json.loads(res.stdout) if res.returncode == 0 else None
            return got if got and got["scheduler"] and got["job_store"] else None

        seen = wait_for(store_seen, 90, "the scheduler to start and store its jobs")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=120)
    assert code == 0, log.read_text()[-2000:]
    by_job = {j["job"]: j for j in seen["jobs"]}
    assert by_job["report"]["source"] == "job store" and by_job["report"]["next_run"].endswith("06:00:00+00:00")
    assert by_job["crawl"]["source"] == "disabled" and by_job["crawl"]["next_run"] is None
    assert Path(seen["job_store"]).parent == tmp_path / "var"
    # Stopped: the store still answers, and says no scheduler runs.
    res = run_cli("--config", str(config), "jobs", "next", cwd=elsewhere)
    assert res.returncode == 0 and "no scheduler is running" in res.stdout and "job store" in res.stdout
