"""The set-up a reader meets: JupyterLab in the environment (make lab), environment.yml agreeing with the pins."""

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from lle.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import write_environment  # noqa: E402


def test_environment_yml_is_written_from_the_pinned_requirements():
    assert (REPO_ROOT / "environment.yml").read_text() == write_environment.environment_yml(), (
        "run .venv/bin/python scripts/write_environment.py"
    )
    text = write_environment.environment_yml()
    for pin in write_environment.pins():
        assert pin in text
    assert "download.pytorch.org/whl/cpu" in text and "torch==" in text and "+cpu" in text


def test_make_lab_runs_jupyterlab_on_the_notebooks():
    recipe = (REPO_ROOT / "Makefile").read_text().split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "-m jupyterlab --notebook-dir=notebooks" in recipe


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
@pytest.mark.e2e
def test_jupyterlab_starts_answers_and_stops(tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--notebook-dir=notebooks",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--IdentityProvider.token=",
            "--ServerApp.port_retries=0",
            "--allow-root",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "lab.log").open("w"),
        env={**__import__("os").environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")},
    )
    try:
        deadline, answer = time.monotonic() + 90, None
        while time.monotonic() < deadline and answer is None and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5) as response:
                    answer = (response.status, response.read())
            except OSError:
                time.sleep(0.5)
        assert answer is not None, (tmp_path / "lab.log").read_text()[-2000:]
        status, body = answer
        assert status == 200 and b"JupyterLab" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5) as response:
            assert b"00_theory.ipynb" in response.read()  # it serves the notebooks folder
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode is not None


def test_every_notebook_starts_with_the_install_cell_from_the_one_repository_address():
    import nbformat
    import tomllib

    from lle.publish.notebooks import INSTALL_TAG, install_cell_source, notebook_paths

    url = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    assert f"git+{url}" in install_cell_source()
    for path in notebook_paths():
        first = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert INSTALL_TAG in first.metadata.get("tags", []) and first.source == install_cell_source(), path.name


@pytest.mark.slow
@pytest.mark.e2e
def test_a_notebook_runs_outside_the_repository_from_a_wheel_fetching_the_cached_results(tmp_path):
    """The Colab path, offline: the package installed from a built wheel, a notebook run in a folder of its own, the
    repository address pointed at a local clone; the cached results are fetched from there on first use."""
    import os
    import shutil

    wheels, site, home = tmp_path / "wheels", tmp_path / "site", tmp_path / "home" / "repository"
    source = tmp_path / "source"  # the working tree's files: the wheel is built there, leaving the checkout as it was
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "pyproject.toml", "README.md", "lle"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        if (REPO_ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    clone = tmp_path / "clone"  # the repository the cached results are fetched from
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
    wheel = next(wheels.glob("lle-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "LLE_HOME": str(home),
        "LLE_REPOSITORY_URL": clone.as_uri(),
        "MPLBACKEND": "Agg",
    }
    where = subprocess.run(
        [sys.executable, "-c", "import lle, lle.paths as p; print(lle.__file__); print(p.REPO_ROOT)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert where == [str(site / "lle" / "__init__.py"), str(home)]  # the wheel's package, not the checkout
    work = tmp_path / "colab"
    work.mkdir()
    shutil.copy(REPO_ROOT / "notebooks" / "01_layer_probabilities.ipynb", work)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            "--no-progress-bar",
            "-k",
            "python3",
            "-y",
            "runs: [all-MiniLM-L6-v2-finetuned]",
            "01_layer_probabilities.ipynb",
            "out.ipynb",
        ],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert (home / "results" / "layer_scores").is_dir() and (home / "figures").is_dir()
    assert "fetching the repository's cached results" in run.stderr + (work / "out.ipynb").read_text()


def test_badges_and_launch_lines_are_written_from_the_one_repository_address():
    from lle.paths import repository_url
    from lle.store import pages

    url = repository_url()
    readme, start = (REPO_ROOT / "README.md").read_text(), (REPO_ROOT / "docs" / "getting-started.md").read_text()
    assert pages.badges_block(url) in readme and pages.launch_block(url) in start, (
        "run .venv/bin/python scripts/write_links.py"
    )
    assert url.startswith("https://github.com/") and f"github/{url.split('github.com/')[1]}/blob" in readme


def test_ci_runs_the_readme_test_command_and_so_every_test_tier():
    """make test leaves out the end-to-end tests (marker e2e); CI runs make test-all, which is make test and then
    exactly those, so no test is run by neither."""
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "test-all: test\n" in makefile
    quick, full = (makefile.split(f"\n{target}:")[1].split("\n\n")[0] for target in ("test", "test-all"))
    assert '-m "not e2e" tests' in quick and "-m e2e tests" in full
    ci = [line.strip() for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()]
    assert "make test-all" in ci
    assert "make test-all" in (REPO_ROOT / "README.md").read_text()
