"""The progress bar every long step uses: a widget bar in Jupyter where ipywidgets is installed, else a text bar.

``tqdm.auto`` warns ("IProgress not found") at import inside a kernel without ipywidgets, and that warning would
land in every executed notebook; choosing the text bar ourselves avoids it.
"""

from __future__ import annotations

import importlib.util
import warnings

if importlib.util.find_spec("ipywidgets") is not None:
    from tqdm.auto import tqdm
else:
    from tqdm.std import tqdm

    # Libraries we call (Hugging Face datasets, transformers) import tqdm.auto themselves; without ipywidgets that
    # only means text bars instead of widgets, so this one message is silenced rather than printed into notebooks.
    warnings.filterwarnings("ignore", message="IProgress not found")

__all__ = ["tqdm"]
