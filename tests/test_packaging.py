"""What the wheel installs, and the loud failure when another package shadows one of its names
(README, "Architecture": installed names)."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["features", "ingest", "jobs", "modeling", "warehouse"]


@pytest.mark.slow
def test_the_wheel_installs_exactly_the_five_packages(tmp_path):
    # Build isolation fetches a current setuptools (the pyproject's SPDX license needs >= 77).
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT), "-w", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode and any(s in proc.stderr for s in ("No matching distribution", "Could not find a version")):
        pytest.skip(f"no package index to fetch the build backend from: {proc.stderr.strip()[-200:]}")
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("genrestore-*.whl")
    top = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert sorted(t for t in top if not t.endswith(".dist-info")) == PACKAGES
    assert "jobs/_installation.py" in zipfile.ZipFile(wheel).namelist()


@pytest.mark.parametrize("name", ["features", "warehouse"])
def test_a_package_shadowing_one_of_genrestores_names_is_named(tmp_path, name):
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    proc = subprocess.run([sys.executable, "-m", "jobs", "--help"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("jobs._installation.InstallationClash:"), proc.stderr
    assert f"package {name!r} is imported from {tmp_path / name}" in last


def test_the_installation_check_passes_in_this_checkout():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", "import jobs; jobs.check_installation(); print('ok')"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.stdout.strip() == "ok", proc.stderr
