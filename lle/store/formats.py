"""How results are written: CSV and LaTeX tables (atomically), tables shown whole in a notebook, and
Findings, the prose a notebook renders as Markdown and the report inputs as LaTeX."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd

from lle.integrity import atomic_path, atomic_write_text  # noqa: F401 (atomic_write_text: for the notebooks)

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def short_run(run: str) -> str:
    """A run slug short enough for a table column: 'SmolLM2 (frozen head)', 'MPNet (half frozen)', ..."""
    names = {
        "SmolLM2-135M-Instruct": "SmolLM2",
        "all-MiniLM-L6-v2": "MiniLM",
        "all-mpnet-base-v2": "MPNet",
        "gemma-3-270m": "Gemma-3",
    }
    variants = {
        "frozen-head": "frozen head",
        "zeroshot": "zero-shot",
        "finetuned": "fine-tuned",
        "lower-half-frozen": "half frozen",
    }
    for name, short in names.items():
        if run.startswith(name + "-"):
            variant = run[len(name) + 1 :]
            return f"{short} ({variants.get(variant, variant)})"
    return run


def latex_escape(text) -> str:
    """Escape every LaTeX special character of ``text`` (arrows '->' become \\to)."""
    text = str(text).replace("->", "\x00")
    escaped = re.sub("|".join(re.escape(c) for c in _LATEX_SPECIALS), lambda m: _LATEX_SPECIALS[m.group()], text)
    return escaped.replace("\x00", r"$\to$")


def concat_labelled(frames: dict, label: str) -> pd.DataFrame:
    """One frame from {name: frame}, with ``label`` = name as the first column (empty when there is none)."""
    parts = [frame.assign(**{label: name})[[label] + list(frame.columns)] for name, frame in frames.items()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[label])


CSV_FLOAT_FORMAT = "%.10g"


def write_csv(frame: pd.DataFrame, path, **kwargs) -> Path:
    """Write a table atomically. Floats get 10 significant digits (``CSV_FLOAT_FORMAT``): more than any reported
    number needs, and few enough that last-digit differences of floating-point sums between CPUs of the same kind
    leave the file's bytes unchanged."""
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, **{"index": False, "float_format": CSV_FLOAT_FORMAT, **kwargs})
    return Path(path)


def write_latex(
    frame: pd.DataFrame, path, *, caption: str, label: str, float_format: str = "%.3f", index: bool = False
) -> Path:
    """Write ``frame`` as a LaTeX table with ``caption`` and ``label`` to ``path`` (atomically)."""
    latex = frame.to_latex(
        index=index, float_format=float_format, escape=True, caption=caption, label=label, multicolumn_format="c"
    )
    return atomic_write_text(path, latex)


class FullTable:
    """Every row of a table for a notebook (pandas would cut long tables), without the index, numbers at
    ``precision`` digits. Its HTML ids come from ``name`` and its plain-text form has no memory address, so
    re-executed notebooks stay byte-identical."""

    def __init__(self, frame: pd.DataFrame, name: str, *, precision: int = 3):
        self.frame, self.name = frame, name
        self.styler = frame.style.format(precision=precision).hide(axis="index").set_uuid(name)

    def _repr_html_(self) -> str:
        return self.styler.to_html()

    def __repr__(self) -> str:
        return f"<{self.name}: {len(self.frame)} rows, {len(self.frame.columns)} columns>"


def full_table(frame: pd.DataFrame, name: str, *, precision: int = 3) -> FullTable:
    """``frame`` shown whole in a notebook (every row), rounded to ``precision``."""
    return FullTable(frame, name, precision=precision)


# Characters the prose uses that pdflatex's default input encoding does not know.
_LATEX_UNICODE = {
    "β\\_u": r"$\beta_u$",
    "β": r"$\beta$",
    "α": r"$\alpha$",
    "η": r"$\eta$",
    "ℓ": r"$\ell$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "×": r"$\times$",
    "−": r"$-$",
    "±": r"$\pm$",
    "²": r"$^2$",
    "→": r"$\to$",
    "…": r"\ldots{}",
    "–": "--",
    "—": "---",
    "’": "'",
    "≈": r"$\approx$",
}


class Findings(str):
    """Prose that a notebook shows rendered as Markdown (it is a plain string everywhere else)."""

    def _repr_markdown_(self) -> str:
        return str(self)

    def latex(self) -> str:
        """The findings as LaTeX paragraphs (the report inputs them): a line that opens with a **bold title** becomes
        a run-in ``\\paragraph`` with that title; text escaped, Unicode math set as math."""
        paragraphs = []
        for line in str(self).splitlines():
            text = latex_escape(line[2:] if line.startswith("- ") else line)
            for character, command in _LATEX_UNICODE.items():
                text = text.replace(character, command)
            titled = re.match(r"\*\*(.+?)\*\*\s*(.*)", text)
            text = rf"\paragraph{{{titled[1]}}} {titled[2]}" if titled else text
            text = re.sub(r"`(.+?)`", r"\\texttt{\1}", text)
            paragraphs.append(re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", text))
        return "\n\n".join(paragraphs) + "\n"

    def write_latex(self, path) -> Path:
        return atomic_write_text(path, self.latex())

    def then(self, more: str) -> "Findings":
        """These bullets followed by ``more`` (another section's findings)."""
        return Findings(f"{self}\n{more}")


def as_findings(function):
    """Return the prose as :class:`Findings`, so a notebook cell ending in the call renders it."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs) -> Findings:
        return Findings(function(*args, **kwargs))

    return wrapper


def signed(value: float, digits: int = 3) -> str:
    """``value`` with its sign at ``digits`` decimals, or in scientific notation when that would print it as 0
    (a margin of 4.7e-08 must not read +0.000)."""
    return f"{value:+.{digits}f}" if value == 0 or abs(value) >= 0.5 * 10**-digits else f"{value:+.1e}"


def plural(n: int, singular: str, plural_form: str) -> str:
    """'1 pair' or '3 pairs': ``n`` with the singular or plural form."""
    return f"{n} {singular if n == 1 else plural_form}"
