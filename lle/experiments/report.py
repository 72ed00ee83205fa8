"""Turning computed tables into what people read: CSV and LaTeX files (written atomically), the generated blocks of the
README and the documentation pages, and the "what we found" prose of each notebook, every number taken from the
tables passed in."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd

from lle.experiments.decision import INCONCLUSIVE, MEANINGS, NOT_TESTED, SCALES, VERDICTS, describe
from lle.experiments.selection import TIE_RULE
from lle.experiments.soundness import SoundView, chance_warning
from lle.integrity import atomic_path, atomic_write_text  # noqa: F401 (atomic_write_text: for the notebooks)
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


def claims_latex(claims: pd.DataFrame) -> str:
    """The claims table (claim with the source passage it tests, verdict, pooled estimate with its 95% CI, margin
    and MDE, the rule that decides it, evidence) as a LaTeX tabular."""
    rows = [
        r"\begin{tabular}{p{0.16\linewidth}p{0.1\linewidth}p{0.14\linewidth}p{0.21\linewidth}p{0.25\linewidth}}",
        r"\toprule",
        r"claim & verdict & estimate [95\% CI] & rule & evidence \\",
        r"\midrule",
    ]
    for r in claims.itertuples():
        numbers = (
            ""
            if r.verdict == "not tested"
            else (
                f"{r.estimate:+.4f} [{r.ci_low:+.4f}, {r.ci_high:+.4f}]; margin ±{r.margin:g}"
                + (f"; MDE {r.mde:.4f}" if r.verdict == INCONCLUSIVE else "")
            )
        )
        passage = rf"\newline\emph{{{latex_escape(r.passage)}}}" if getattr(r, "passage", "") else ""
        rows.append(
            f"{latex_escape(r.claim)}{passage} & {latex_escape(r.verdict)} & {latex_escape(numbers)} & "
            f"{latex_escape(r.rule)} & {latex_escape(r.evidence)} \\\\"
        )
    return "\n".join(rows + [r"\bottomrule", r"\end{tabular}"]) + "\n"


def results_block(headline: pd.DataFrame, claims: pd.DataFrame) -> str:
    """The README's generated results block: the headline table and the claims."""
    return "\n".join(
        [
            f"{README_START} (written by notebooks/08_claims.ipynb) -->",
            "Test macro-F1, hyperparameters selected on validation (`results/tables/table1.csv` has CIs, p-values, tie "
            "counts and the test-tuned protocols). SmolLM2 and Gemma-3 weights are dequantized from 4-bit GGUF files.",
            "",
            headline.round(3).reset_index().to_markdown(index=False),
            "",
            "Do the paper's claims hold in our runs? (the rule: `lle.experiments.decision`, stated in notebook 08)",
            "",
            short_table(claims).to_markdown(index=False),
            "",
            README_END,
        ]
    )


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


def headline_block(claims: pd.DataFrame, n_pairs: int) -> str:
    """The README's headline: each of the paper's claims with its verdict, pooled estimate and CI, and what each
    verdict means (the rules and evidence are in the results page)."""
    ours = claims.claim.map(is_ours)
    table = short_table(claims[~ours]).drop(columns=["p (BH)"]).to_markdown(index=False)
    more = (
        f" Our {plural(int(ours.sum()), 'extension or question', 'extensions and questions')} beside them are on "
        "the results page."
        if ours.any()
        else ""
    )
    return "\n".join(
        [
            "<!-- headline:start (written by notebooks/08_claims.ipynb) -->",
            f"Do the paper's claims hold in our {n_pairs} (model, dataset) runs? Each claim is decided once "
            "by a pooled estimate over the runs (training seeds nested in their run), its 95% CI and a "
            "margin (one macro-F1 point; five points for shares). Hyperparameters selected on validation;"
            " runs whose standard classifier is at chance left out (a post-hoc choice; the results page "
            "names them and the verdicts with them kept); SmolLM2 and Gemma-3 weights dequantized from "
            f"4-bit GGUF files.{more}",
            "",
            table,
            "",
            verdict_meanings(),
            "",
            "<!-- headline:end -->",
        ]
    )


OURS = ("our extension", "our question", "our derivation", "our weaker variant")  # how a claim not the source's opens


def is_ours(claim: str) -> bool:
    """Whether a registry row is the package's own extension or question rather than a claim its source makes."""
    return claim.startswith(OURS)


def verdict_meanings() -> str:
    """What each verdict means, one sentence each (the same words on every page that shows verdicts)."""
    return "\n".join(f"- **{name}**: {meaning}." for name, meaning in MEANINGS.items())


def margins_note() -> str:
    """The margins (smallest effects of interest), one per scale, with their reasons."""
    return "\n".join(f"- {scale.name}: ±{scale.margin:g} — {scale.reason}." for scale in SCALES.values())


def short_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The claims with verdict, estimate and 95% CI, margin, MDE (beside inconclusive verdicts) and adjusted p,
    formatted for a page."""
    out = frame[["claim", "verdict"]].copy()
    tested = frame.verdict != NOT_TESTED
    out["estimate [95% CI]"] = [
        f"{r.estimate:+.4f} [{r.ci_low:+.4f}, {r.ci_high:+.4f}]" if ok else ""
        for r, ok in zip(frame.itertuples(), tested)
    ]
    out["margin"] = [f"±{m:g}" if ok else "" for m, ok in zip(frame.margin, tested)]
    out["MDE (80%)"] = [f"{m:.4f}" if v == INCONCLUSIVE else "" for m, v in zip(frame.mde, frame.verdict)]
    out["p (BH)"] = [f"{p:.3g}" if ok else "" for p, ok in zip(frame.p_adjusted, tested)]
    return out


def findings_block(name: str, notebook: str, findings: str) -> str:
    """A generated block holding a notebook's findings, with the markers :func:`update_block` looks for."""
    return f"<!-- {name}:start (written by notebooks/{notebook}) -->\n{findings}\n<!-- {name}:end -->"


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


# --- findings in prose -----------------------------------------------------------------------------------------

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


def _markdown(function):
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


def _count(frame: pd.DataFrame, decision: str) -> int:
    return int((frame.decision == decision).sum())


def _decisions(rows: pd.DataFrame) -> str:
    counts = rows.decision.value_counts()
    parts = [f"{counts.get(d, 0)} {d}" for d in ("better", "worse", "no significant difference")]
    unclear = counts.get("unclear (CI and test disagree)", 0)
    return ", ".join(parts) + f", {unclear} unclear (CI and test disagree)"


@_markdown
def findings_table1(table: pd.DataFrame) -> str:
    """What Table 1 says, in sentences computed from it, over the pairs the claims read (its ``classifier``
    column: :class:`lle.experiments.soundness.SoundView`); the warning names the pairs left out."""
    full, table = table, SoundView.of(table).keep(table) if "classifier" in table else table
    validation = table[table.protocol == "validation"]
    lines = []
    for method, name in (("dynamic", "LLE (dynamic β)"), ("static", "Static-β contrastive classification")):
        rows = validation[validation.method == method]
        mean = rows.delta_vs_standard.mean()
        lines.append(
            f"- **{name}** against standard, validation-selected, over {len(rows)} pairs: "
            f"{_decisions(rows)}; mean difference {mean:+.4f} macro-F1."
        )
    reference = validation[validation.method == "dynamic"].macro_f1.to_numpy()
    for protocol, name in (("test_tuned_jsd", "test-tuned (JSD)"), ("released", "released-code")):
        if not (table.protocol == protocol).any():  # e.g. lle evaluate reports the validation protocol only
            continue
        gap = table[(table.protocol == protocol) & (table.method == "dynamic")].macro_f1.to_numpy() - reference
        lines.append(
            f"- The {name} protocol reports LLE {gap.mean():+.4f} macro-F1 higher on average than the "
            f"validation-selected one (largest {gap.max():+.4f}): that is what tuning on test adds."
        )
    warning = chance_warning(full) if "classifier" in full else None
    left_out = " It is left out of these sentences and of the claims (its rows stay in the table)." if warning else ""
    return "\n".join(lines + [_ties(validation)] + ([f"- **Warning.** {warning}{left_out}"] if warning else []))


def _ties(validation: pd.DataFrame) -> str:
    tied = validation[validation.n_tied > 1]
    if tied.empty:
        return "- No validation selection had a tie at the best macro-F1."
    spread = tied.test_f1_max_over_ties - tied.test_f1_min_over_ties
    sentences = [
        f"- Ties: {len(tied)} of {len(validation)} validation selections had several configurations at the best",
        f"validation macro-F1 ({TIE_RULE}); the fewest-changes step left several in",
        f"{int((tied.n_tied_after_rule > 1).sum())}. Over the tied configurations, test macro-F1 varies by up to",
        f"{spread.max():.4f}, and by more than 0 in {int((spread > 0).sum())} selections.",
    ]
    return " ".join(sentences)


EVERY_PAIR = SoundView()  # the view that leaves no pair out


@_markdown
def findings_target_layer(trends: pd.DataFrame, view: SoundView = EVERY_PAIR) -> str:
    """What the target-layer trends say (Figure 2), in sentences computed from them, over the pairs of ``view``."""
    full, trends = trends, view.keep(trends)
    recall_up, precision_down = int((trends.recall_change > 0).sum()), int((trends.precision_change < 0).sum())
    both = int(((trends.recall_change > 0) & (trends.precision_change < 0)).sum())
    means = trends[["recall_change", "precision_change", "f1_change"]].mean()
    flat = plural(int(trends.flat.sum()), "pair is", "pairs are")
    return (
        f"From the nearest to the farthest target layer, recall rose in {recall_up} of {len(trends)} pairs, "
        f"precision fell in {precision_down}, both together in {both}. Mean changes: recall "
        f"{means.recall_change:+.4f}, precision {means.precision_change:+.4f}, macro-F1 {means.f1_change:+.4f}. "
        f"{flat} flat: validation chose α = 1, where only the final layer's top class is plausible."
        + _left_out(view, full)
    )


def _left_out(view: SoundView, *frames) -> str:
    """The sentence closing a paragraph of findings when ``view`` dropped pairs from ``frames``."""
    sentence = view.sentence(*frames)
    return " " + sentence[2:] if sentence else ""


@_markdown
def findings_sensitivity(spreads: pd.DataFrame, view: SoundView = EVERY_PAIR) -> str:
    """How static and dynamic β compare in sensitivity to the earliest layer (Figure 3), over the pairs of
    ``view``."""
    wide = view.keep(spreads).pivot_table(index=["run", "dataset"], columns="method", values="median_spread_over_k")
    smaller, larger = int((wide.dynamic < wide.static).sum()), int((wide.dynamic > wide.static).sum())
    return (
        f"The median macro-F1 spread over the earliest candidate layer is smaller for dynamic β in {smaller} "
        f"of {len(wide)} pairs and larger in {larger}; on average static {wide.static.mean():.4f}, dynamic "
        f"{wide.dynamic.mean():.4f}." + _left_out(view, spreads)
    )


def _bias_sentence(row) -> str:
    if row.n_changed == 0:
        return f"- {row.model} / {row.dataset}: the validation-selected LLE changes no test prediction."
    share, base = row.share_changed_from_reference, row.share_reference_in_standard_predictions
    return (
        f"- {row.model} / {row.dataset}: LLE changes {row.n_changed} of {row.n_test} test predictions, "
        f"{share:.1%} of them from '{row.reference_class}' (its share of standard predictions: {base:.1%}; "
        f"two-sided binomial p = {row.p_value:.3g}); wrong→right {row.wrong_to_right}, right→wrong "
        f"{row.right_to_wrong}."
    )


def _polarity_sentence(row) -> str:
    if not row.n_emotion_changes:
        return f"- {row.model} / {row.dataset}: no emotion-to-emotion change."
    kept = f"{row.kept_polarity} of {row.n_emotion_changes} emotion-to-emotion changes keep polarity"
    return (
        f"- {row.model} / {row.dataset}: {kept} ({row.share_kept:.1%}; chance {row.chance_rate:.1%}, "
        f"p = {row.p_polarity:.3g}); wrong→right {row.wrong_to_right}, right→wrong {row.right_to_wrong}."
    )


@_markdown
def findings_changes(bias: pd.DataFrame | None = None, polarity: pd.DataFrame | None = None) -> str:
    """The neutral-bias and polarity findings, one sentence per pair."""
    lines = [_bias_sentence(row) for row in (bias if bias is not None else pd.DataFrame()).itertuples()]
    lines += [_polarity_sentence(row) for row in (polarity if polarity is not None else pd.DataFrame()).itertuples()]
    return "\n".join(lines)


@_markdown
def findings_distance(ablation: pd.DataFrame, view: SoundView = EVERY_PAIR) -> str:
    """What the distance ablation says, one sentence per distance against JSD, over the pairs of ``view``."""
    lines = []
    kept = view.keep(ablation)
    for distance, part in kept[kept.distance != "jsd"].groupby("distance", sort=False):
        excludes_zero = int(((part.ci_low > 0) | (part.ci_high < 0)).sum())
        agreement = part.amateur_agreement_with_jsd.mean()
        lines.append(
            f"- {distance} vs JSD: mean difference {part.delta_vs_jsd.mean():+.4f} macro-F1, largest "
            f"absolute {part.delta_vs_jsd.abs().max():.4f}; CI excludes 0 in {excludes_zero} of {len(part)} "
            f"(pair, method) rows; same amateur as JSD for {agreement:.1%} of test samples on average."
        )
    return "\n".join(lines + [view.sentence(ablation)]).rstrip()


@_markdown
def findings_claims(claims: pd.DataFrame) -> str:
    """The verdict counts and one line per claim with its pooled numbers and evidence."""
    counts = claims.verdict.value_counts()
    summary = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if v in counts)
    return f"Of {len(claims)} claims: {summary}.\n\n" + "\n".join(
        f"- *{row['claim']}*: **{describe(row)}** — {row['evidence']}." for _, row in claims.iterrows()
    )
