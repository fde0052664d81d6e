import json

import pytest

from jobs import load_settings
from warehouse import ConfigError


def test_defaults_lay_out_var(settings, tmp_path):
    assert settings.warehouse_file == tmp_path / "var" / "warehouse.duckdb"
    assert settings.snapshots_path == tmp_path / "var" / "snapshots"
    assert settings.resolved_token_url == "https://accounts.spotify.com/api/token"


def test_precedence_toml_then_env_then_overrides(settings, tmp_path, monkeypatch):
    (tmp_path / "genrestore.toml").write_text(
        'api_url = "http://127.0.0.1:9/v1"\nsnapshot_keep = 3\n[crawl]\nbudget_per_window = 10\nconcurrency = 2\n'
    )
    s = load_settings()
    assert (s.api_url, s.snapshot_keep, s.crawl.budget_per_window) == ("http://127.0.0.1:9/v1", 3, 10)
    assert s.resolved_token_url == "http://127.0.0.1:9/api/token"
    monkeypatch.setenv("GENRESTORE_SNAPSHOT_KEEP", "5")
    monkeypatch.setenv("GENRESTORE_CRAWL__BUDGET_PER_WINDOW", "20")
    s = load_settings()
    assert (s.snapshot_keep, s.crawl.budget_per_window, s.crawl.concurrency) == (5, 20, 2)
    s = load_settings(snapshot_keep=9)
    assert s.snapshot_keep == 9


def test_config_argument_names_the_file_over_the_environment(settings, tmp_path, monkeypatch):
    (tmp_path / "from-env.toml").write_text("snapshot_keep = 4\n")
    (tmp_path / "given.toml").write_text("snapshot_keep = 6\n")
    monkeypatch.setenv("GENRESTORE_CONFIG", str(tmp_path / "from-env.toml"))
    assert load_settings().snapshot_keep == 4
    assert load_settings(config=tmp_path / "given.toml").snapshot_keep == 6
    assert load_settings().snapshot_keep == 4  # the argument held for that call only
    import os

    assert os.environ["GENRESTORE_CONFIG"] == str(tmp_path / "from-env.toml")


def test_credentials_from_spotify_env_and_masked(settings, monkeypatch):
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", "my-id")
    monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", "top-secret-value")
    s = load_settings()
    assert s.client_id == "my-id"
    assert s.client_secret.get_secret_value() == "top-secret-value"
    assert "top-secret-value" not in json.dumps(s.masked())
    assert "top-secret-value" not in repr(s)


def test_invalid_value_names_the_key(settings, monkeypatch):
    monkeypatch.setenv("GENRESTORE_CRAWL__BUDGET_PER_WINDOW", "lots")
    with pytest.raises(ConfigError, match=r"crawl\.budget_per_window"):
        load_settings()


def test_config_show_cli(cli):
    ok = cli("config", "show", "--json", env={"SPOTIFY_CLIENT_SECRET": "hush-hush"})
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["client_secret"] == "********" and "hush-hush" not in ok.stdout + ok.stderr
    bad = cli("config", "show", env={"GENRESTORE_SNAPSHOT_KEEP": "zero"})
    assert bad.returncode == 2
    assert "snapshot_keep" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_usage_errors_are_one_line_without_traceback(cli):
    for args in (["snapshot", "prune", "--keep", "0"], ["no-such-command"], ["sql", "--format"]):
        res = cli(*args)
        assert res.returncode == 2, (args, res.stderr)
        assert "Traceback" not in res.stderr, (args, res.stderr)
