"""Sphinx configuration of the documentation site: MyST Markdown pages, the committed executed notebooks as chapters
(never re-executed), and an API reference from the docstrings. Build: make docs (warnings are errors)."""
import shutil
import tomllib
from pathlib import Path

import jupyter_server_mathjax

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

project = "lle"
author = "The lle contributors"
copyright = "2026, the lle contributors"
release = PROJECT["version"]

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.autosummary"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # the committed notebooks are executed by make reproduce; the site shows their outputs
nb_output_stderr = "remove"
suppress_warnings = ["mystnb.unknown_mime_type"]  # the explorer's widget outputs carry their own static view
exclude_patterns = ["_build", "notebooks/.*", "_templates"]
autodoc_member_order = "bysource"
autosummary_generate = True  # one page per module, written to docs/generated/ (git-ignored) at build time
shutil.rmtree(Path(__file__).parent / "generated", ignore_errors=True)  # pages of modules that no longer exist go
templates_path = ["_templates"]
autodoc_typehints = "description"

html_theme = "furo"
html_title = f"lle {release}"
repository = PROJECT["urls"]["Repository"]
html_theme_options = {"source_repository": repository, "source_branch": "main", "source_directory": "docs/"}
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"

# MathJax 2.7 from a pinned Python package, served with the site: formulas render offline and without a CDN.
MATHJAX = Path(jupyter_server_mathjax.__file__).parent / "static"
myst_update_mathjax = False  # MyST would add a MathJax 3/4 configuration (window.MathJax), which MathJax 2 misreads
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"  # the one config the package ships
mathjax2_config = {"messageStyle": "none", "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                               "processEscapes": True},
                   # the package ships the STIX-Web fonts only (as the Jupyter notebook configures them)
                   # the package ships the STIX-Web fonts only (the Jupyter notebook configures them so too)
                   "HTML-CSS": {"availableFonts": [], "webFont": "STIX-Web", "imageFont": None}}


def copy_mathjax(app, exception):
    if exception is None and app.builder.format == "html":
        shutil.copytree(MATHJAX, Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True)


def setup(app):
    app.connect("build-finished", copy_mathjax)
