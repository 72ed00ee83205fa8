"""The documentation site: built by make docs from the committed notebooks, then read in a real browser (Debian's
headless Chromium, driven over WebDriver) from a local server. Every page loads without console errors, every image
loads, every internal link resolves, formulas are typeset by the MathJax served with the site (nothing is fetched
from another host); the home page and one notebook chapter are saved as screenshots
(``LLE_SCREENSHOTS`` names the folder; a temporary one otherwise). Without Chromium it skips and says so."""

import fcntl
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from lle.paths import REPO_ROOT

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no Chromium here: install Debian's chromium and chromium-driver (apt-get install chromium "
    "chromium-driver) to run the browser test of the documentation site",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory, worker_id) -> Path:
    """The site built as make docs builds it, into a temporary folder: once per test run, shared by the xdist
    workers (a build rewrites docs/generated/, so two at once would race on it)."""
    if worker_id == "master":
        return _build_site(tmp_path_factory.mktemp("site"))
    shared = tmp_path_factory.getbasetemp().parent  # this run's folder, above each worker's own
    with open(shared / "site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = shared / "site"
        return out if (out / "index.html").is_file() else _build_site(out)


def _build_site(out: Path) -> Path:
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(REPO_ROOT / "docs"), str(out)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        shutil.rmtree(out, ignore_errors=True)  # the next worker builds again and reports the same failure
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def served(site):
    """The built site on 127.0.0.1 (a free port), as a base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports failures itself
        pass


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.images = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])


def pages(site: Path) -> list[str]:
    return sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*.html")
        if not path.relative_to(site).as_posix().startswith(("_modules/", "_static/"))
    )


@pytest.mark.e2e
def test_the_site_has_every_page_and_chapter(site):
    names = set(pages(site))
    expected = {
        "index.html",
        "getting-started.html",
        "own-data.html",
        "conventions.html",
        "errors.html",
        "results.html",
        "context.html",
        "reproducibility.html",
        "report.html",
        "api.html",
        "cite.html",
        "notebooks.html",
    }
    assert expected <= names
    chapters = {name for name in names if name.startswith("notebooks/")}
    assert len(chapters) == len(list((REPO_ROOT / "notebooks").glob("[0-9]*.ipynb")))
    assert "lle.classify" in (site / "api.html").read_text()  # the API reference is generated
    assert list((site / "_downloads").rglob("report.pdf")), "the report PDF is part of the site"


@pytest.mark.e2e
def test_every_internal_link_and_image_resolves(site):
    missing = []
    for name in pages(site):
        parser = Links()
        parser.feed((site / name).read_text())
        for target in parser.hrefs + parser.images:
            url = urljoin(f"http://site/{name}", target)
            if urlparse(url).netloc != "site":
                continue
            path = site / urldefrag(urlparse(url).path)[0].lstrip("/")
            if path.is_dir():
                path = path / "index.html"
            if not path.is_file():
                missing.append(f"{name} -> {target}")
    assert not missing, missing[:20]


def mathjax_width_probe(message: str) -> bool:
    """MathJax 2's HTML-CSS output measures fallback widths with a font face whose source is about:blank; the
    browser logs that request as failed by design. Any other failed request counts."""
    return "about:blank" in message and ("font" in message or message.startswith("about:blank - Failed to load"))


def screenshots_dir(tmp_path) -> Path:
    folder = Path(os.environ.get("LLE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@needs_browser
@pytest.mark.slow
@pytest.mark.e2e
def test_every_page_loads_in_chromium_without_errors(site, served, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    problems = []
    try:
        for name in pages(site):
            driver.get(served + name)
            errors = [
                entry["message"]
                for entry in driver.get_log("browser")
                if entry["level"] == "SEVERE" and not mathjax_width_probe(entry["message"])
            ]
            broken = driver.execute_script(
                "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
            )
            if errors or broken:
                problems.append((name, errors, broken))
            if not driver.title:
                problems.append((name, "no title", []))
        driver.get(served + "index.html")
        typeset = "return document.querySelectorAll('.MathJax, .MathJax_Display, .MathJax_CHTML').length"
        deadline = time.monotonic() + 30
        while driver.execute_script(typeset) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert driver.execute_script(typeset) > 0, "MathJax typeset no formula on the home page"
        folder = screenshots_dir(tmp_path)
        for name, shot in (("index.html", "home.png"), ("notebooks/03_figure2_target_layer.html", "chapter.png")):
            driver.get(served + name)
            driver.save_screenshot(str(folder / shot))
            assert (folder / shot).stat().st_size > 10_000
    finally:
        driver.quit()
    assert not problems, problems[:10]


def public_objects():
    """Every module of lle and every function and class defined in one under a public name."""
    import importlib
    import inspect
    import pkgutil

    import lle

    for info in pkgutil.walk_packages(lle.__path__, "lle."):
        if info.name == "lle.__main__":
            continue
        module = importlib.import_module(info.name)
        yield info.name, module
        for name, value in vars(module).items():
            if (
                not name.startswith("_")
                and (inspect.isfunction(value) or inspect.isclass(value))
                and value.__module__ == info.name
            ):
                yield f"{info.name}.{name}", value


def _prose(doc: str) -> str:
    """A docstring without its ``literals`` and the rows of literal-block tables (where | is meant)."""
    import re

    return "\n".join(
        line for line in re.sub(r"``.*?``", "", doc, flags=re.S).splitlines() if not line.lstrip().startswith("|")
    )


def test_every_public_module_function_and_class_has_a_docstring_in_the_one_style():
    """The API reference is generated from these: each says what it does, in prose with ``literals`` (reST), never
    Google ("Args:") or NumPy ("Parameters / ----------") sections, and no bare |x| (a reST substitution)."""
    import re

    missing, styled = [], []
    for name, value in public_objects():
        doc = value.__doc__
        if not doc or not doc.strip():
            missing.append(name)
        elif re.search(
            r"^\s*(Args|Arguments|Returns|Raises|Yields):\s*$|^\s*(Parameters|Returns)\s*\n\s*-{3,}", doc, re.M
        ) or re.search(r"\|[^|\s][^|\n]*\|", _prose(doc)):
            styled.append(name)
    assert not missing, f"public names without a docstring: {missing}"
    assert not styled, f"docstrings outside the one style: {styled}"
    from lle.paths import REPO_ROOT

    assert "   lle\n" in (REPO_ROOT / "docs" / "api.md").read_text()  # the reference covers the package recursively
