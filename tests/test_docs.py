"""Docs are part of the contract.

Every CLI command has help text and is documented; every `genrestore ...` line of a fenced block in
README.md and docs/*.md names a command and options that exist; the safe examples run as written
against a small warehouse, and the Python snippet of docs/warehouse.md runs from another directory.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from jobs.cli import app
from tests.conftest import REPO, run_cli


def _leaf_commands(cmd, path: tuple[str, ...] = ()):
    if hasattr(cmd, "commands"):  # a group (typer may use its vendored click)
        for name, sub in cmd.commands.items():
            yield from _leaf_commands(sub, path + (name,))
    else:
        yield path, cmd


ROOT = typer.main.get_command(app)
COMMANDS = list(_leaf_commands(ROOT))
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
DOCS = "\n".join(p.read_text() for p in DOC_FILES)


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


def test_every_help_page_renders():
    # In-process (one subprocess per command would take most of a minute on a loaded machine).
    runner = CliRunner()
    for path, _ in [((), ROOT), *COMMANDS]:
        res = runner.invoke(app, [*path, "--help"])
        assert res.exit_code == 0 and "Usage:" in res.output, (path, res.output, res.exception)


# ── documented command lines ──

FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.S | re.M)


INLINE = re.compile(r"`(genrestore [^`]*)`")


def documented_lines() -> list[tuple[str, str]]:
    """(file:line, text) of every line of a fenced shell or plain block that runs `genrestore`, and of
    every inline `genrestore ...` code span (file:line:span)."""
    found = []
    for doc in DOC_FILES:
        text = doc.read_text()
        for m in INLINE.finditer(text):
            found.append((f"{doc.relative_to(REPO)}:{text.count(chr(10), 0, m.start()) + 1}:span", m.group(1)))
        for block in FENCE.finditer(text):
            if block.group(1) not in ("", "sh", "bash", "shell", "console"):
                continue
            first = text.count("\n", 0, block.start(2)) + 1
            pending, start = "", 0
            for offset, line in enumerate(block.group(2).splitlines()):
                if not pending:
                    start = first + offset
                pending += line.rstrip()
                if pending.endswith("\\"):  # a continued line
                    pending = pending[:-1] + " "
                    continue
                if re.search(r"(^|[\s|/])genrestore\s", pending) and not pending.lstrip().startswith(("error:", "note:")):
                    found.append((f"{doc.relative_to(REPO)}:{start}", pending.strip()))
                pending = ""
    return found


def genrestore_argv(line: str) -> list[str]:
    """The arguments given to `genrestore` on a documented shell line (pipes, cron fields, env skipped)."""
    tokens = shlex.split(line, comments=True)
    segment: list[str] = []
    for tok in tokens + ["|"]:
        if tok == "|":
            if segment and any(t.rsplit("/", 1)[-1] == "genrestore" for t in segment):
                at = next(i for i, t in enumerate(segment) if t.rsplit("/", 1)[-1] == "genrestore")
                return segment[at + 1:]
            segment = []
        else:
            segment.append(tok)
    raise ValueError(f"no genrestore command in {line!r}")


def _option(cmd, name: str):
    for p in cmd.params:
        if getattr(p, "param_type_name", "") == "option" and name in (*p.opts, *p.secondary_opts):
            return p
    return None


def check_argv(argv: list[str], *, whole: bool = True) -> tuple[tuple[str, ...], list[str]]:
    """Walk ``argv`` through the CLI: (command path, problems). Usage synopses are understood:
    ``[--opt X]`` is optional, ``a|b`` are alternatives, ``--flag/--no-flag`` a switch pair.
    ``whole``: the line is a command to run, so a group without one of its commands is a problem."""
    cmd, path, problems, positional = ROOT, (), [], 0
    i = 0
    while i < len(argv):
        tok = argv[i].strip("[]")
        i += 1
        if not tok or tok == "...":
            continue
        if tok.startswith("-") and tok != "-":
            for name in tok.split("=", 1)[0].split("/"):
                opt = _option(cmd, name)
                if opt is None:
                    problems.append(f"`genrestore {' '.join(path)}` has no option {name}")
                elif not (opt.is_flag or opt.count) and "=" not in tok:
                    i += 1  # its value
            continue
        if hasattr(cmd, "commands"):
            names = tok.split("|")
            if not all(n in cmd.commands for n in names):
                problems.append(f"`genrestore {' '.join(path)}` has no command {tok}")
                break
            cmd, path = cmd.commands[names[0]], path + (names[0],)
            continue
        positional += 1
        arguments = [p for p in cmd.params if getattr(p, "param_type_name", "") == "argument"]
        if not any(p.nargs == -1 for p in arguments) and positional > sum(p.nargs for p in arguments):
            problems.append(f"`genrestore {' '.join(path)}` takes {len(arguments)} argument(s), not {tok!r} too")
    if whole and hasattr(cmd, "commands") and not getattr(cmd, "invoke_without_command", False):
        problems.append(f"`genrestore {' '.join(path)}` is a group: name one of its commands")
    return path, problems


LINES = documented_lines()


def test_the_docs_have_command_lines_to_check():
    assert len(LINES) > 40


def test_the_checker_catches_what_does_not_exist():
    assert check_argv(genrestore_argv("genrestore sql --nope 'SELECT 1'"))[1]
    assert check_argv(genrestore_argv("genrestore jobs frobnicate"))[1]
    assert check_argv(genrestore_argv("genrestore jobs history [JOB] [-n 50] [--json] [--wat]"))[1]
    assert check_argv(genrestore_argv("genrestore schema artists albums"))[1]
    assert check_argv(genrestore_argv("echo 'SELECT 1' | genrestore sql -f csv")) == (("sql",), [])


@pytest.mark.parametrize("where,line", LINES, ids=[w for w, _ in LINES])
def test_documented_command_line_exists(where, line):
    path, problems = check_argv(genrestore_argv(line), whole=not where.endswith(":span"))
    assert not problems, f"{where}: {line}\n" + "\n".join(problems)


# ── documented examples, run as written ──

# Commands that only read, on a warehouse holding a small synthetic catalog and one snapshot.
SAFE = {("config", "show"), ("crawl", "plan"), ("sql",), ("schema",), ("jobs", "list"), ("jobs", "next")}
# Placeholders (DIR, ID, "...") and what the fixture has not: a given snapshot id, a files directory.
PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*|.*\.\.\..*|--allow-files|--snapshot")


def without_optional_parts(argv: list[str]) -> list[str]:
    """``jobs next [--json]`` → ``jobs next``: a synopsis runs as its plainest form."""
    kept, depth = [], 0
    for tok in argv:
        depth += tok.count("[") if tok.startswith("[") else 0
        if depth == 0:
            kept.append(tok)
        depth -= tok.count("]") if depth and tok.endswith("]") else 0
    return kept


def _runnable() -> list[tuple[str, list[str], str]]:
    """(where, argv, stdin) of each distinct safe example."""
    runs, seen = [], set()
    for where, line in LINES:
        argv = without_optional_parts(genrestore_argv(line))
        path = check_argv(argv)[0]
        stdin = line.split("|")[0].strip() if re.search(r"\|\s*genrestore", line) else None
        if stdin is not None:
            stdin = shlex.split(stdin)[1] + "\n" if stdin.startswith("echo ") else None
        unrunnable = any(PLACEHOLDER.fullmatch(tok) for tok in argv)
        if path not in SAFE or unrunnable or (path == ("sql",) and len(argv) == 1 and stdin is None):
            continue
        if (tuple(argv), stdin) not in seen:
            seen.add((tuple(argv), stdin))
            runs.append((where, argv, stdin))
    return runs


RUNNABLE = _runnable()


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory):
    """A directory whose var/ holds a 300-artist synthetic catalog and a snapshot of it."""
    from features import write_synthetic_catalog
    from jobs import load_settings
    from warehouse import Writer

    root = tmp_path_factory.mktemp("docs-examples")
    settings = load_settings(var_dir=root / "var")
    with Writer(settings.warehouse_file) as writer:
        write_synthetic_catalog(writer, 300, tracks_per_artist=3, n_families=4, tags_per_family=6)
    res = run_cli("snapshot", "create", cwd=root, timeout=120)
    assert res.returncode == 0, res.stderr
    return root


def test_there_are_examples_to_run():
    assert {check_argv(argv)[0] for _, argv, _ in RUNNABLE} == SAFE


@pytest.mark.parametrize("where,argv,stdin", RUNNABLE, ids=[w for w, _, _ in RUNNABLE])
def test_documented_example_runs(where, argv, stdin, example_dir):
    res = run_cli(*argv, cwd=example_dir, input=stdin, timeout=120)
    assert res.returncode == 0, f"{where}: genrestore {shlex.join(argv)}\n{res.stdout[-1500:]}\n{res.stderr[-1500:]}"
    assert "Traceback" not in res.stderr


def test_crawl_plan_figures_quoted_in_the_docs_are_what_it_prints(example_dir):
    quoted = [(line, m) for line in DOCS.splitlines() if "crawl plan --artists 10000" in line
              for m in re.finditer(r"([\d,]+) requests \(≈ (\d+) h (\d+) min", line)]
    assert quoted, "the docs quote no crawl plan figures any more: drop this test"
    res = run_cli("crawl", "plan", "--artists", "10000", cwd=example_dir, timeout=120)
    assert res.returncode == 0, res.stderr
    printed_minutes = {round((int(h) * 3600 + int(m) * 60 + int(s)) / 60)
                       for h, m, s in re.findall(r"≈ (\d+):(\d\d):(\d\d)", res.stdout)}
    for line, m in quoted:
        assert re.search(rf"\btotal\b.*\b{re.escape(m.group(1))}\b", res.stdout), (line, res.stdout)
        assert int(m.group(2)) * 60 + int(m.group(3)) in printed_minutes, (line, res.stdout)


def test_warehouse_python_snippet_runs_from_another_directory(example_dir, tmp_path):
    text = (REPO / "docs" / "warehouse.md").read_text()
    snippets = [b.group(2) for b in FENCE.finditer(text) if b.group(1) == "python"]
    assert len(snippets) == 1 and '"/srv/genrestore/var"' in snippets[0]
    code = snippets[0].replace('"/srv/genrestore/var"', repr(str(example_dir / "var")))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert re.fullmatch(r"\[\((\d+),\)\]", res.stdout.strip()), res.stdout
    assert int(re.fullmatch(r"\[\((\d+),\)\]", res.stdout.strip()).group(1)) == 300  # the fixture's artists
