"""The import graph is the architecture README.md describes (section "Architecture").

Every module of every package is parsed (no import runs), so an import inside a function counts too.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("warehouse", "ingest", "features", "modeling", "jobs")

# package -> the project packages it may import (the direction of dependencies: downwards only).
ALLOWED = {
    "warehouse": set(),
    "ingest": {"warehouse"},
    "features": {"warehouse"},
    "modeling": {"warehouse", "features"},
    "jobs": {"warehouse", "ingest", "features", "modeling"},
}


def _imports():
    """(file:line, importing module, imported module path, imported name or None) of every import
    of a project package, relative imports resolved."""
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            package = module if parts[-1] == "__init__" else module.rpartition(".")[0]
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        yield where, module, alias.name, None
                elif isinstance(node, ast.ImportFrom):
                    target = node.module or ""
                    if node.level:
                        base = package.split(".")[: len(package.split(".")) - node.level + 1]
                        target = ".".join(base + ([node.module] if node.module else []))
                    for alias in node.names:
                        yield where, module, target, alias.name


IMPORTS = [i for i in _imports() if i[2].split(".")[0] in PACKAGES]


def test_the_graph_was_read():
    # A parser that finds nothing would pass everything below.
    assert len(IMPORTS) > 200
    assert any(m.startswith("jobs.") and t == "modeling" for _, m, t, _ in IMPORTS)


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_the_layers_below(package):
    wrong = sorted(f"{where}: {module} imports {target}" for where, module, target, _ in IMPORTS
                   if module.split(".")[0] == package and target.split(".")[0] not in ALLOWED[package] | {package})
    assert not wrong, "imports against the layering in README.md:\n" + "\n".join(wrong)


def _private_owner(target: str, name: str | None) -> str | None:
    """The package a private module or name belongs to (``warehouse`` for ``warehouse._lock``,
    ``warehouse.settings`` for ``warehouse.settings._x``), or None if nothing private is named."""
    parts = target.split(".") + ([name] if name else [])
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def test_no_package_imports_another_packages_private_module():
    wrong = []
    for where, module, target, name in IMPORTS:
        owner = _private_owner(target, name)
        if owner is not None and module != owner and not module.startswith(owner + "."):
            wrong.append(f"{where}: {module} imports {target}{'.' + name if name else ''}")
    assert not wrong, "use the package's public surface (its __all__):\n" + "\n".join(sorted(wrong))


def test_the_private_check_catches_a_private_import():
    assert _private_owner("warehouse._lock", "ProcessLock") == "warehouse"
    assert _private_owner("warehouse.settings", "_default_schedules") == "warehouse.settings"
    assert _private_owner("ingest.spotify._client", "utcnow") == "ingest.spotify"
    assert _private_owner("warehouse", "Writer") is None


def test_readme_states_the_same_layering():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    for package, below in ALLOWED.items():
        line = next((ln for ln in section.splitlines() if ln.startswith(f"- `{package}`")), None)
        assert line is not None, f"README Architecture section does not describe {package}"
        stated = set(line.split("imports:", 1)[1].split(")")[0].replace("`", "").replace(",", " ").split()) - {"nothing"}
        assert stated == below, f"README says {package} imports {sorted(stated)}; the test allows {sorted(below)}"
