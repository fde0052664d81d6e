"""Each package owns its errors: a base below ``warehouse.GenrestoreError`` and its subclasses,
exported from its public surface. Callers still catch by level, and the exit codes are those the
errors had before they moved (the table below was read from the tree before the move)."""

import importlib

import pytest

import features
import ingest
import jobs
import modeling
import warehouse

# package -> its base error
BASES = {
    "ingest": ingest.IngestError,
    "features": features.FeaturesError,
    "modeling": modeling.ModelingError,
    "jobs": jobs.JobsError,
}

# (public module, error name) -> exit code
EXIT_CODES = {
    ("warehouse", "GenrestoreError"): 1, ("warehouse", "ConfigError"): 2, ("warehouse", "UsageError"): 2,
    ("warehouse", "WarehouseError"): 1, ("warehouse", "WarehouseNotFound"): 1, ("warehouse", "WriterLockedError"): 1,
    ("warehouse", "ReadOnlyError"): 1, ("warehouse", "SnapshotNotFound"): 1, ("warehouse", "QueryError"): 1,
    ("warehouse", "MigrationMismatch"): 1, ("warehouse", "DiskFull"): 1,
    ("ingest", "IngestError"): 1,
    ("ingest.datasets", "ImportFailed"): 1,
    ("ingest.emulator", "CatalogError"): 2,
    ("ingest.spotify", "SpotifyError"): 1, ("ingest.spotify", "AuthError"): 2, ("ingest.spotify", "ClientError"): 1,
    ("ingest.spotify", "ClientStopped"): 1, ("ingest.spotify", "CrawlPaused"): 1,
    ("ingest.spotify", "EndpointUnavailable"): 1, ("ingest.spotify", "MalformedResponse"): 1,
    ("ingest.spotify", "RequestFailed"): 1, ("ingest.spotify", "ServerError"): 1, ("ingest.spotify", "TransportError"): 1,
    ("features", "FeaturesError"): 1, ("features", "TaxonomyError"): 1,
    ("modeling", "ModelingError"): 1, ("modeling", "LeakageError"): 1, ("modeling", "ModelNotFound"): 2,
    ("modeling", "PromotionRefused"): 1, ("modeling.experiments", "DatasetMissing"): 2,
    ("jobs", "JobsError"): 1, ("jobs", "SchedulerLockedError"): 1,
}


def _error(module: str, name: str) -> type:
    return getattr(importlib.import_module(module), name)


def _all_errors() -> set[type]:
    for module, _ in EXIT_CODES:
        importlib.import_module(module)
    found, todo = set(), [warehouse.GenrestoreError]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found and sub.__module__.split(".")[0] in (*BASES, "warehouse"):
                found.add(sub)
                todo.append(sub)
    return found


@pytest.mark.parametrize("module,name", sorted(EXIT_CODES))
def test_each_error_is_public_where_it_belongs_with_its_exit_code(module, name):
    error = _error(module, name)
    assert name in importlib.import_module(module).__all__
    assert error.exit_code == EXIT_CODES[module, name]
    assert issubclass(error, warehouse.GenrestoreError)
    owner = module.split(".")[0]
    if owner != "warehouse":
        assert error.__module__.split(".")[0] == owner, f"{name} is defined in {error.__module__}"
        assert issubclass(error, BASES[owner]), f"{name} does not derive from {BASES[owner].__name__}"


def test_every_error_of_a_package_derives_from_its_base_and_is_listed():
    errors = _all_errors()
    assert len(errors) >= len(EXIT_CODES) - 1  # the walk found the tree, not nothing
    for error in errors:
        owner = error.__module__.split(".")[0]
        if owner in BASES:
            assert issubclass(error, BASES[owner]), f"{error.__module__}.{error.__name__}"
    listed = {_error(m, n) for m, n in EXIT_CODES}
    assert errors <= listed, f"errors without an exit code in this test: {sorted(e.__name__ for e in errors - listed)}"


def test_callers_still_catch_by_level():
    from ingest.datasets import ImportFailed
    from ingest.spotify import AuthError, TransportError
    from modeling.experiments import DatasetMissing

    for error, levels in [
        (ImportFailed, (ingest.IngestError, warehouse.WarehouseError)),
        (TransportError, (ingest.IngestError,)),
        (AuthError, (ingest.IngestError,)),
        (modeling.ModelNotFound, (modeling.ModelingError,)),
        (DatasetMissing, (modeling.ModelingError, warehouse.UsageError)),
        (features.TaxonomyError, (features.FeaturesError,)),
        (jobs.SchedulerLockedError, (jobs.JobsError,)),
    ]:
        for level in (*levels, warehouse.GenrestoreError):
            with pytest.raises(level):
                raise error("one line")
    with pytest.raises(ingest.IngestError):
        raise ImportFailed("x")
    try:
        raise modeling.LeakageError("leak")
    except ingest.IngestError:  # a sibling package's base does not catch it
        pytest.fail("a modeling error was caught as an ingest error")
    except modeling.ModelingError:
        pass


def test_the_command_exits_with_the_packages_error_code(cli, tmp_path):
    # ModelNotFound (modeling, exit code 2) raised through the real CLI, one line, no traceback.
    with warehouse.Writer(tmp_path / "var" / "warehouse.duckdb"):
        pass
    res = cli("models", "show", "no-such-model")
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "no-such-model" in res.stderr
