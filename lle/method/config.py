"""One method's hyperparameters as a value: what :func:`lle.classify` runs and what a table row records.

A :class:`Config` is frozen and validated on construction, so a configuration read back from a results table
is checked the same way as one typed by hand. Candidate layers are a tuple of hidden-state indices; tables write
them as ``'first-last'`` (contiguous) or ``'a,b,c'``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

METHODS = ("standard", "static", "dynamic")


def describe_layers(layers: Iterable[int]) -> str:
    """'first-last' for a contiguous set, else a comma-separated list."""
    layers = [int(layer) for layer in layers]
    if not layers:
        raise ValueError("describe_layers needs at least one layer")
    contiguous = layers == list(range(layers[0], layers[-1] + 1))
    return f"{layers[0]}-{layers[-1]}" if contiguous else ",".join(map(str, layers))


def parse_layers(text: str) -> list[int]:
    """Inverse of :func:`describe_layers`: '16-23' or '3,5,7' to a list of ints."""
    text = str(text).strip()
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-"))
            return list(range(first, last + 1))
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(
            f"cannot read candidate layers from {text!r}; write 'first-last' (e.g. '16-23') "
            "or a comma-separated list (e.g. '3,5,7')"
        ) from None


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


DISTANCE_NAMES = ("jsd", "kl", "tv", "cosine", "released_cosine")


def _layer_tuple(layers) -> tuple[int, ...]:
    """Candidate layers as sorted unique ints; text, booleans and fractions are refused, never reinterpreted."""
    if isinstance(layers, (str, bytes)):
        raise TypeError(
            f"candidate_layers must be a sequence of layer indices, got the text {layers!r}; pass e.g. "
            f"(16, 17, 18) or lle.parse_layers({layers!r})"
        )
    try:
        values = list(layers)
    except TypeError:
        raise TypeError(
            f"candidate_layers must be a sequence of layer indices, got {layers!r}; pass e.g. range(16, 24)"
        ) from None
    bad = [v for v in values if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))]
    if bad:
        raise TypeError(f"candidate_layers must be whole layer indices, got {bad[:3]}; pass ints, e.g. range(16, 24)")
    if not values or min(values) < 0:
        raise ValueError(f"candidate_layers must be at least one layer index >= 0, got {values}")
    return tuple(sorted({int(v) for v in values}))


def _number(name: str, value) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}; pass e.g. {'0.1' if name == 'alpha' else '1.0'}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return float(value)


@dataclass(frozen=True)
class Config:
    """``method`` is 'standard' (argmax of the final layer), 'static' (needs ``beta``) or 'dynamic' (LLE, needs
    ``target_layer``); the contrastive methods also need ``candidate_layers`` and ``alpha``."""

    method: str
    candidate_layers: tuple[int, ...] | None = None
    alpha: float | None = None
    beta: float | None = None
    target_layer: float | None = None
    distance: str = "jsd"

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.distance is None:  # a table row of standard classification has no distance
            object.__setattr__(self, "distance", "jsd")
        if self.method == "standard":
            given = [
                name
                for name in ("candidate_layers", "alpha", "beta", "target_layer")
                if getattr(self, name) is not None
            ]
            if given:
                raise ValueError(
                    f"a standard Config takes no {given}: standard classification is the final layer's "
                    "argmax; use method='static' or 'dynamic' for contrastive classification"
                )
            return
        needed, forbidden = ("beta", "target_layer") if self.method == "static" else ("target_layer", "beta")
        for name in ("candidate_layers", "alpha", needed):
            if getattr(self, name) is None:
                raise ValueError(f"a {self.method} Config needs {name}")
        if getattr(self, forbidden) is not None:
            raise ValueError(f"a {self.method} Config takes {needed}, not {forbidden}")
        object.__setattr__(self, "candidate_layers", _layer_tuple(self.candidate_layers))
        for name in ("alpha", needed):
            object.__setattr__(self, name, _number(name, getattr(self, name)))
        if not 0 < self.alpha <= 1:
            raise ValueError(f"alpha must lie in (0, 1], got {self.alpha}; e.g. 0.1")
        if self.distance not in DISTANCE_NAMES:
            raise ValueError(f"distance must be one of {DISTANCE_NAMES}, got {self.distance!r}")

    def classify_kwargs(self) -> dict:
        """The keyword arguments of :func:`lle.classify` for this configuration."""
        if self.method == "standard":
            return {}
        kwargs = {"candidate_layers": self.candidate_layers, "alpha": self.alpha, "distance": self.distance}
        kwargs.update({"beta": self.beta} if self.method == "static" else {"target_layer": self.target_layer})
        return kwargs

    def to_row(self) -> dict:
        """The configuration as table columns (None where a field does not apply)."""
        layers = describe_layers(self.candidate_layers) if self.candidate_layers else None
        return {
            "method": self.method,
            "candidate_layers": layers,
            "alpha": self.alpha,
            "beta": self.beta,
            "target_layer": self.target_layer,
            "distance": self.distance if self.method != "standard" else None,
        }

    @classmethod
    def from_row(cls, row: Mapping) -> "Config":
        """Read a table row (dict or pandas row); NaN counts as absent, layers may be text or a sequence."""
        values = {
            name: row.get(name) for name in ("method", "candidate_layers", "alpha", "beta", "target_layer", "distance")
        }
        values = {name: (None if _missing(value) else value) for name, value in values.items()}
        if isinstance(values["candidate_layers"], str):
            values["candidate_layers"] = parse_layers(values["candidate_layers"])
        return cls(**values)

    def describe(self) -> str:
        """A short human-readable form, e.g. 'dynamic: target layer 30, alpha 0.1, candidates 16-23 (jsd)'."""
        if self.method == "standard":
            return "standard: argmax of the final layer"
        strength = f"beta {self.beta:g}" if self.method == "static" else f"target layer {self.target_layer:g}"
        return (
            f"{self.method}: {strength}, alpha {self.alpha:g}, candidates "
            f"{describe_layers(self.candidate_layers)} ({self.distance})"
        )
