"""The one progress bar (lle.progress): a widget bar where ipywidgets is installed, else the text bar with the
"IProgress not found" warning silenced, so executed notebooks carry no warning."""

import subprocess
import sys

import pytest

WITHOUT_WIDGETS = """
import sys, warnings
sys.modules["ipywidgets"] = None  # as if it were not installed
from lle.progress import tqdm as bar
import tqdm.std as text_bars
from tqdm import TqdmWarning
assert bar is text_bars.tqdm, bar
with warnings.catch_warnings(record=True) as caught:
    warnings.warn("IProgress not found. Please update jupyter and ipywidgets.", TqdmWarning)
    warnings.warn("another warning", TqdmWarning)
print([str(w.message) for w in caught])
"""


def run(source: str) -> str:
    done = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_without_ipywidgets_the_text_bar_is_used_and_the_widget_warning_is_silenced():
    assert run(WITHOUT_WIDGETS) == "['another warning']"  # only the widget warning is silenced


def test_with_ipywidgets_the_auto_bar_is_used():
    pytest.importorskip("ipywidgets")
    assert run("from lle.progress import tqdm as bar; import tqdm.auto as auto; print(bar is auto.tqdm)") == "True"
