"""The documentation site: built by make docs from the committed notebooks, then read in a real browser (Debian's
headless Chromium, driven over WebDriver) from a local server. Every page loads without console errors, every image
loads, every internal link resolves (resources of other hosts, such as MathJax's CDN, load only online and are
not counted); the home page and one notebook chapter are saved as screenshots
(``LLE_SCREENSHOTS`` names the folder; a temporary one otherwise). Without Chromium it skips and says so."""
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from lle.paths import REPO_ROOT

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no Chromium here: install Debian's chromium and chromium-driver (apt-get install chromium "
           "chromium-driver) to run the browser test of the documentation site")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built as make docs builds it, into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                             str(REPO_ROOT / "docs"), str(out)], capture_output=True, text=True)
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
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("*.html")
                  if not path.relative_to(site).as_posix().startswith(("_modules/", "_static/")))


def test_the_site_has_every_page_and_chapter(site):
    names = set(pages(site))
    expected = {"index.html", "getting-started.html", "own-data.html", "conventions.html", "errors.html",
                "results.html", "context.html", "reproducibility.html", "report.html", "api.html", "cite.html",
                "notebooks.html"}
    assert expected <= names
    chapters = {name for name in names if name.startswith("notebooks/")}
    assert len(chapters) == len(list((REPO_ROOT / "notebooks").glob("[0-9]*.ipynb")))
    assert "lle.classify" in (site / "api.html").read_text()  # the API reference is generated
    assert list((site / "_downloads").rglob("report.pdf")), "the report PDF is part of the site"


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


def external_resource(message: str, served: str) -> bool:
    """A console error about a resource from another host (MathJax's CDN): offline it cannot load, online it does;
    only the site's own resources count."""
    first = message.split(" ", 1)[0]
    return first.startswith(("http://", "https://")) and not first.startswith(served)


def screenshots_dir(tmp_path) -> Path:
    folder = Path(os.environ.get("LLE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@needs_browser
@pytest.mark.slow
def test_every_page_loads_in_chromium_without_errors(site, served, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    problems = []
    try:
        for name in pages(site):
            driver.get(served + name)
            errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
                      and not external_resource(entry["message"], served)]
            broken = driver.execute_script(
                "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
            if errors or broken:
                problems.append((name, errors, broken))
            if not driver.title:
                problems.append((name, "no title", []))
        folder = screenshots_dir(tmp_path)
        for name, shot in (("index.html", "home.png"), ("notebooks/03_figure2_target_layer.html", "chapter.png")):
            driver.get(served + name)
            driver.save_screenshot(str(folder / shot))
            assert (folder / shot).stat().st_size > 10_000
    finally:
        driver.quit()
    assert not problems, problems[:10]
