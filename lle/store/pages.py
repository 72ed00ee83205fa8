"""The generated blocks of the README and the documentation pages: where each lives, how one is replaced,
and the launch badges."""

from __future__ import annotations

from pathlib import Path

from lle.integrity import atomic_write_text
from lle.paths import REPO_ROOT

README = REPO_ROOT / "README.md"


DOCS = REPO_ROOT / "docs"


README_START, README_END = "<!-- results:start", "<!-- results:end -->"


# Where each generated block lives: the README keeps the headline; the rest is on the documentation site's pages.
BLOCK_PAGES = {
    "badges": README,
    "launch": DOCS / "getting-started.md",
    "headline": README,
    "registry": DOCS / "results.md",
    "results": DOCS / "results.md",
    "unified": DOCS / "context.md",
    "stc": DOCS / "context.md",
    "emotion": DOCS / "context.md",
    "gpu-runs": DOCS / "own-data.md",
    "verification": DOCS / "reproducibility.md",
}


def update_block(path, block: str, *, name: str = "results") -> Path:
    """Replace the generated block ``name`` of the Markdown page ``path`` (between ``<!-- name:start`` and
    ``<!-- name:end -->``), atomically; :func:`publish` knows which page holds which block."""
    import fcntl

    first, last = f"<!-- {name}:start", f"<!-- {name}:end -->"
    lock = Path(path).with_name(f".{Path(path).name}.lock")
    with open(lock, "w") as handle:  # notebooks run at once may rewrite other blocks of the same page
        fcntl.flock(handle, fcntl.LOCK_EX)
        text = Path(path).read_text()
        if first not in text or last not in text:
            raise ValueError(f"{path} has no {name} block: add the lines '{first} -->' and '{last}'")
        start, end = text.index(first), text.index(last) + len(last)
        return atomic_write_text(path, text[:start] + block + text[end:])


def publish(name: str, block: str) -> Path:
    """Write the generated block ``name`` into the page that holds it (:data:`BLOCK_PAGES`)."""
    if name not in BLOCK_PAGES:
        raise KeyError(f"no page holds a block {name!r}; known: {sorted(BLOCK_PAGES)}")
    return update_block(BLOCK_PAGES[name], block, name=name)


def _github(url: str) -> str:
    """'owner/name' of a GitHub repository address (the Binder and Colab links need it)."""
    path = url.removesuffix(".git").split("github.com/", 1)
    if len(path) != 2 or path[1].count("/") != 1:
        raise ValueError(f"the Repository address in pyproject.toml must be https://github.com/OWNER/NAME, got {url!r}")
    return path[1]


def _binder(url: str, labpath: str) -> str:
    return f"https://mybinder.org/v2/gh/{_github(url)}/HEAD?labpath={labpath}"


def _colab(url: str, notebook: str) -> str:
    return f"https://colab.research.google.com/github/{_github(url)}/blob/main/notebooks/{notebook}"


def badges_block(url: str, notebook: str = "00_theory.ipynb") -> str:
    """The README's Binder and Colab badges, from the one repository address (``[project.urls]``)."""
    return "\n".join(
        [
            "<!-- badges:start (written by scripts/write_links.py from pyproject.toml) -->",
            f"[![Binder](https://mybinder.org/badge_logo.svg)]({_binder(url, 'notebooks%2F' + notebook)})",
            f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({_colab(url, notebook)})",
            "<!-- badges:end -->",
        ]
    )


def launch_block(url: str) -> str:
    """How to open the notebooks on Binder and Colab, and the install line, from the one repository address."""
    return "\n".join(
        [
            "<!-- launch:start (written by scripts/write_links.py from pyproject.toml) -->",
            f"- **Binder**: [start JupyterLab on the notebooks]({_binder(url, 'notebooks')}) "
            "in an environment built from `environment.yml` (written from `requirements.txt` by "
            "`scripts/write_environment.py`; a CPU build of torch).",
            f"- **Colab**: [open a notebook]({_colab(url, '00_theory.ipynb')}). Its first code cell installs the package "
            "where it is missing",
            f'  (`%pip install "lle[notebooks] @ git+{url}"`); on first use the package fetches the repository\'s '
            "cached results into `~/.cache/lle/repository` (`LLE_HOME` changes where, `LLE_REPOSITORY_URL` from where).",
            "<!-- launch:end -->",
        ]
    )


def findings_block(name: str, notebook: str, findings: str) -> str:
    """A generated block holding a notebook's findings, with the markers :func:`update_block` looks for."""
    return f"<!-- {name}:start (written by notebooks/{notebook}) -->\n{findings}\n<!-- {name}:end -->"
