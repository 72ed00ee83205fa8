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
    assert (REPO_ROOT / "environment.yml").read_text() == write_environment.environment_yml(), \
        "run .venv/bin/python scripts/write_environment.py"
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
def test_jupyterlab_starts_answers_and_stops(tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--notebook-dir=notebooks", "--no-browser", f"--port={port}",
         "--ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.port_retries=0", "--allow-root"],
        cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=(tmp_path / "lab.log").open("w"),
        env={**__import__("os").environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")})
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
