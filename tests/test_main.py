"""python -m lle (lle.__main__): runs the command line, and importing the module runs nothing."""

import importlib
import subprocess
import sys


def test_python_minus_m_lle_is_the_command_line():
    done = subprocess.run([sys.executable, "-m", "lle", "--help"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "run" in done.stdout and "evaluate" in done.stdout and "verify" in done.stdout


def test_importing_the_module_runs_no_command(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["lle", "verify", "--all"])
    module = importlib.import_module("lle.__main__")
    assert callable(module.main) and capsys.readouterr() == ("", "")
