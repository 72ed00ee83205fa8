"""Sphinx configuration of the documentation site: MyST Markdown pages, the committed executed notebooks as chapters
(never re-executed), and an API reference from the docstrings. Build: make docs (warnings are errors)."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

project = "lle"
author = "The lle contributors"
copyright = "2026, the lle contributors"
release = PROJECT["version"]

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # the committed notebooks are executed by make reproduce; the site shows their outputs
nb_output_stderr = "remove"
suppress_warnings = ["mystnb.unknown_mime_type"]  # the explorer's widget outputs carry their own static view
exclude_patterns = ["_build", "notebooks/.*"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"

html_theme = "furo"
html_title = f"lle {release}"
repository = PROJECT["urls"]["Repository"]
html_theme_options = {"source_repository": repository, "source_branch": "main", "source_directory": "docs/"}
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"
