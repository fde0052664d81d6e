"""No module of the five packages is over 450 lines unless its docstring says why ("Long because ...").

A long module usually holds more than one concept; splitting it is the fix, a stated reason the
exception.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("warehouse", "ingest", "features", "modeling", "jobs")
MAX_LINES = 450
REASON = "Long because"


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _too_long(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    if len(text.splitlines()) <= MAX_LINES:
        return False
    return REASON not in (ast.get_docstring(ast.parse(text, str(path))) or "")


def test_the_modules_were_found():
    # A glob that finds nothing would pass the check below.
    assert len(_modules()) > 100


def test_no_module_is_long_without_a_reason():
    long = [f"{p.relative_to(ROOT)}: {len(p.read_text(encoding='utf-8').splitlines())} lines"
            for p in _modules() if _too_long(p)]
    assert not long, (f"modules over {MAX_LINES} lines whose docstring gives no reason "
                      f"(split them, or say '{REASON} ...'):\n" + "\n".join(long))


def test_the_check_fails_on_a_long_module_and_accepts_a_reason(tmp_path):
    body = "x = 1\n" * (MAX_LINES + 1)
    bare = tmp_path / "bare.py"
    bare.write_text('"""A module."""\n' + body)
    reasoned = tmp_path / "reasoned.py"
    reasoned.write_text(f'"""A module. {REASON} its table is one piece."""\n' + body)
    short = tmp_path / "short.py"
    short.write_text('"""A module."""\n' + "x = 1\n" * 10)
    assert (_too_long(bare), _too_long(reasoned), _too_long(short)) == (True, False, False)
