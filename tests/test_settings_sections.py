"""Each settings section is declared by the package that reads it and resolved by the one resolver
(``warehouse.settings``) as part of ``jobs.Settings``: same keys, environment names and defaults
as when every section lived in ``warehouse/settings.py``."""

from __future__ import annotations

import pytest

import warehouse
import ingest.crawl
import ingest.datasets
from ingest import CrawlerSettings, CrawlSettings, ImportSettings
from jobs import JobSchedule, Settings, load_settings
from modeling import ModelingSettings

# Keys and defaults of every section, read from `genrestore config show --json` before the move
# (plus what was added since: [warehouse], modeling.target_precision, crawl.budget_ceiling/budget_ramp).
SECTION_DEFAULTS = {
    "crawl": {"budget_per_window": 90, "window_seconds": 30.0, "budget_ceiling": 3000,
              "budget_ramp": True, "max_retry_after": 900.0, "concurrency": 8,
              "timeout": 10.0, "max_attempts": 6, "market": "US"},
    "imports": {"max_field_bytes": 1048576},
    "sql": {"timeout_seconds": 300.0, "max_rows": 1000000},
    "modeling": {"jobs": 2, "target_precision": 0.7},
    "warehouse": {"url": None, "lease_seconds": 60.0},
}
TOP_KEYS = {"var_dir", "warehouse_path", "snapshots_dir", "models_dir", "reports_dir", "data_dir", "api_url",
            "token_url", "client_id", "client_secret", "snapshot_keep", "log_level", "crawl", "imports", "sql",
            "modeling", "warehouse", "schedules"}


def test_the_composed_settings_have_the_same_keys_and_defaults(settings):
    data = settings.masked()
    assert set(data) == TOP_KEYS
    for section, defaults in SECTION_DEFAULTS.items():
        assert data[section] == defaults, section
    assert set(data["schedules"]) == {"crawl", "refresh", "snapshot", "build", "retrain", "report", "publish",
                                      "prune"}


def test_each_section_is_the_class_its_package_declares(settings):
    assert type(settings) is Settings
    assert isinstance(settings, CrawlerSettings) and isinstance(settings, warehouse.WarehouseSettings)
    assert type(settings.crawl) is CrawlSettings and CrawlSettings.__module__.startswith("ingest.")
    assert type(settings.imports) is ImportSettings and ImportSettings.__module__.startswith("ingest.")
    assert type(settings.modeling) is ModelingSettings and ModelingSettings.__module__.startswith("modeling.")
    assert type(settings.sql) is warehouse.SqlSettings
    assert all(type(s) is JobSchedule for s in settings.schedules.values())
    # also on the surfaces of the sub-packages that read them
    assert (ingest.crawl.CrawlSettings, ingest.crawl.CrawlerSettings) == (CrawlSettings, CrawlerSettings)
    assert ingest.datasets.ImportSettings is ImportSettings
    assert JobSchedule.__module__.startswith("jobs.")


@pytest.mark.parametrize("section,key,toml_value,env_value,expected", [
    ("crawl", "concurrency", "3", "5", 5),                     # ingest.crawl
    ("imports", "max_field_bytes", "4096", "8192", 8192),      # ingest.datasets
    ("modeling", "jobs", "3", "1", 1),                         # modeling
    ("sql", "max_rows", "10", "20", 20),                       # warehouse
])
def test_a_section_resolves_from_toml_then_environment_from_its_new_home(settings, tmp_path, monkeypatch,
                                                                          section, key, toml_value, env_value,
                                                                          expected):
    (tmp_path / "genrestore.toml").write_text(f"[{section}]\n{key} = {toml_value}\n")
    assert getattr(getattr(load_settings(), section), key) == int(toml_value)
    monkeypatch.setenv(f"GENRESTORE_{section.upper()}__{key.upper()}", env_value)
    assert getattr(getattr(load_settings(), section), key) == expected


def test_schedules_resolve_from_toml_and_a_bad_job_names_the_key(settings, tmp_path):
    (tmp_path / "genrestore.toml").write_text('[schedules.crawl]\ncron = "15 * * * *"\n')
    assert load_settings().schedules["crawl"].cron == "15 * * * *"
    (tmp_path / "genrestore.toml").write_text('[schedules.nosuchjob]\ncron = "15 * * * *"\n')
    with pytest.raises(warehouse.ConfigError, match=r"schedules\.nosuchjob: no such job"):
        load_settings()


def test_a_lower_layer_resolves_on_its_own(settings, tmp_path, monkeypatch):
    # The crawler's layer needs nothing from above it: the same resolver, its own keys only.
    monkeypatch.setenv("GENRESTORE_CRAWL__BUDGET_PER_WINDOW", "11")
    monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", "hush")
    crawler = CrawlerSettings.resolve(var_dir=tmp_path / "v")
    assert type(crawler) is CrawlerSettings and crawler.crawl.budget_per_window == 11
    assert crawler.masked()["client_secret"] == "********" and "hush" not in repr(crawler)
    assert crawler.warehouse_file == tmp_path / "v" / "warehouse.duckdb"
    base = warehouse.WarehouseSettings.resolve(var_dir=tmp_path / "v")
    assert not hasattr(base, "crawl") and base.snapshots_path == tmp_path / "v" / "snapshots"
    with pytest.raises(warehouse.ConfigError, match=r"crawl\.concurrency"):
        CrawlerSettings.resolve(crawl={"concurrency": 0})
