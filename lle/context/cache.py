"""The one cache of the comparisons' stages: a JSON record that stores, beside its results, the inputs that decided
them. One policy everywhere:

* a stage (``compute_stage``) reuses a record only when every stored input equals the current one, and recomputes
  (then replaces) it otherwise — so an interrupted or widened stage resumes where it stopped;
* a reader (``load_results``, a notebook) never recomputes: a missing or mismatching record is a
  :class:`StaleStageError` naming the file, the inputs that differ and the command that refreshes it.

Inputs are compared as JSON stores them (tuples become lists, keys strings), so a record written by one process
compares equal in the next.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lle.integrity import CacheMismatchError, atomic_write_text


class StaleStageError(CacheMismatchError):
    """A stage's cached record is missing or was made from other inputs than the current ones."""


def as_stored(value):
    """``value`` as it reads back from JSON."""
    return json.loads(json.dumps(value))


@dataclass(frozen=True)
class StageRecord:
    """The record at ``path``, current when its ``section`` (default ``"provenance"``; None: the top level) holds
    every key of ``inputs`` with an equal value. ``refresh`` is the command that recomputes it."""

    path: Path
    inputs: dict
    refresh: str
    section: str | None = "provenance"

    def stored(self) -> dict | None:
        """The record as stored, or None when there is no readable file."""
        try:
            return json.loads(Path(self.path).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def differences(self, record: dict | None = None) -> list[str]:
        """The inputs whose stored value differs from the current one (every input when nothing is stored)."""
        record = self.stored() if record is None else record
        if record is None:
            return sorted(self.inputs)
        stored = record if self.section is None else record.get(self.section, {})
        current = as_stored(self.inputs)
        return sorted(key for key, value in current.items() if stored.get(key) != value)

    def current(self) -> dict | None:
        """The stored record when it is current, else None (the stage then recomputes it)."""
        record = self.stored()
        return record if record is not None and not self.differences(record) else None

    def require(self) -> dict:
        """The stored record; a missing or stale one is a StaleStageError saying what differs and how to refresh."""
        record = self.stored()
        if record is None:
            raise StaleStageError(f"no cached stage result at {self.path}; run {self.refresh}")
        changed = self.differences(record)
        if changed:
            raise StaleStageError(
                f"{self.path} was made from other inputs ({', '.join(changed)} differ); run {self.refresh}"
            )
        return record

    def write(self, record: dict, *, sort_keys: bool = True, indent: int | None = 1) -> Path:
        """Write ``record`` atomically (a failed write leaves the old one), its inputs included as stored."""
        inputs = as_stored(self.inputs)
        record = (
            {**record, **inputs}
            if self.section is None
            else {**record, self.section: {**record.get(self.section, {}), **inputs}}
        )
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        return atomic_write_text(self.path, json.dumps(record, indent=indent, sort_keys=sort_keys) + "\n")
