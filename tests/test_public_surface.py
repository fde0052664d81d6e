"""Each package's public surface is its __all__: everything listed exists, nothing private leaks."""

import importlib

import pytest

PACKAGES = ["warehouse", "ingest.spotify", "ingest.crawl", "ingest.datasets", "ingest.emulator", "features", "modeling",
            "modeling.experiments", "jobs"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_matches_namespace(name):
    module = importlib.import_module(name)
    assert list(module.__all__) == sorted(module.__all__), f"{name}.__all__ is not sorted"
    exported = set(module.__all__)
    assert len(exported) == len(module.__all__), f"{name}.__all__ lists a name twice"
    absent = sorted(n for n in exported if not hasattr(module, n))
    assert not absent, f"{name}.__all__ lists names it does not define: {absent}"
    public = {n for n, v in vars(module).items() if not n.startswith("_") and not getattr(v, "__name__", "").startswith(f"{name}._")
              and getattr(v, "__module__", "").startswith(name) and not isinstance(v, type(module))}
    missing = public - exported
    assert not missing, f"{name} defines public names not in __all__: {sorted(missing)}"
