"""Only the settings resolver reads or writes the process environment.

Settings come from one place (``warehouse.settings``: defaults < genrestore.toml < ``GENRESTORE_*`` <
options), so a module that reads a variable of its own makes a setting that ``genrestore config
show`` does not show and the precedence does not cover. Every module of every package is parsed
(nothing runs), so a read inside a function counts too.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("warehouse", "ingest", "features", "modeling", "jobs")

# module -> why it may touch the environment
ALLOWED = {
    "warehouse/settings.py": "the settings resolver: GENRESTORE_CONFIG, environment_value, prepare_process "
                             "(pydantic-settings reads GENRESTORE_* for it)",
    "ingest/emulator/running.py": "builds the emulator subprocess's environment from this one's "
                                  "(PYTHONPATH, and the secret kept off the command line)",
}
_ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_uses(source: str, filename: str = "<module>") -> list[int]:
    """Lines of ``source`` that touch the environment: ``os.environ``/``os.getenv``/... (however
    ``os`` was imported), ``from os import environ``, or pydantic-settings (which reads it)."""
    tree = ast.parse(source, filename)
    os_names = {"os"}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
            if any(a.name.split(".")[0] == "pydantic_settings" for a in node.names):
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.module == "os" and any(a.name in _ENV_NAMES for a in node.names):
                lines.append(node.lineno)
            if (node.module or "").split(".")[0] == "pydantic_settings":
                lines.append(node.lineno)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in _ENV_NAMES
                and isinstance(node.value, ast.Name) and node.value.id in os_names):
            lines.append(node.lineno)
    return sorted(lines)


def _modules():
    for pkg in PACKAGES:
        yield from sorted((ROOT / pkg).rglob("*.py"))


def test_the_check_finds_each_way_of_touching_the_environment():
    for source in ("import os\nx = os.environ.get('A')", "import os\nos.getenv('A')",
                   "import os as system\nsystem.environ['A'] = '1'", "from os import environ",
                   "from os import getenv as g", "import os\nos.putenv('A', '1')",
                   "from pydantic_settings import BaseSettings", "def f():\n    import os\n    return os.environ"):
        assert environment_uses(source), source
    assert not environment_uses("import os\nos.path.join('a', 'b')\nenviron = {}")


def test_the_allowed_modules_exist_and_use_the_environment():
    # An exception that no longer applies is removed from the list, not kept "just in case".
    for rel in ALLOWED:
        path = ROOT / rel
        assert path.is_file(), rel
        assert environment_uses(path.read_text(), rel), f"{rel} no longer touches the environment"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_other_module_reads_or_writes_the_environment(package):
    modules = [p for p in _modules() if p.relative_to(ROOT).parts[0] == package]
    assert modules, package
    wrong = [f"{path.relative_to(ROOT)}:{line}" for path in modules if str(path.relative_to(ROOT)) not in ALLOWED
             for line in environment_uses(path.read_text(), str(path))]
    assert not wrong, ("read settings through warehouse.settings (a section of your package), not the "
                       "environment:\n" + "\n".join(wrong))
