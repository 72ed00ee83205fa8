"""Table writers (lle.store.formats): LaTeX escapes and full tables."""

import numpy as np
import pandas as pd

from lle.store import formats


def test_latex_escape_covers_the_specials():
    assert formats.latex_escape("a_b & 50% #1 -> {x}") == r"a\_b \& 50\% \#1 $\to$ \{x\}"


def test_full_tables_render_every_row_with_stable_ids():
    frame = pd.DataFrame({"a": np.arange(200) / 7})
    first, second = (formats.full_table(frame, "t") for _ in range(2))
    assert first._repr_html_() == second._repr_html_() and first._repr_html_().count("<tr>") == 201
    assert repr(first) == repr(second) == "<t: 200 rows, 1 columns>"
