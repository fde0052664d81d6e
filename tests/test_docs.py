"""Docs are part of the contract: every CLI command has help text and is documented in docs/."""

import re

import pytest
import typer.main

from jobs.cli import app
from tests.conftest import REPO


def _leaf_commands(cmd, path: tuple[str, ...] = ()):
    if hasattr(cmd, "commands"):  # a group (typer may use its vendored click)
        for name, sub in cmd.commands.items():
            yield from _leaf_commands(sub, path + (name,))
    else:
        yield path, cmd


COMMANDS = list(_leaf_commands(typer.main.get_command(app)))
DOCS = "\n".join(p.read_text() for p in sorted((REPO / "docs").glob("*.md"))) + (REPO / "README.md").read_text()


def test_there_are_commands_to_check():
    assert len(COMMANDS) > 10


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_has_help_and_is_documented(path, cmd):
    assert (cmd.help or "").strip(), f"`genrestore {' '.join(path)}` has no help text"
    for param in cmd.params:
        if getattr(param, "param_type_name", "") == "option" and not getattr(param, "hidden", False):
            assert (param.help or "").strip(), f"option {param.opts} of `genrestore {' '.join(path)}` has no help"
    pattern = r"genrestore\s+(\[?--?[\w-]+[^\s]*\]?\s+)*" + r"\s+".join(map(re.escape, path)) + r"\b"
    assert re.search(pattern, DOCS), f"`genrestore {' '.join(path)}` is not mentioned in docs/ or README.md"
