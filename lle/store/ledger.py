"""The run ledger: what a run directory's checkpoints and cached states were made from, and what they cost."""

from __future__ import annotations

import json
from pathlib import Path

from lle.integrity import CacheMismatchError, atomic_write_text


class RunLedger:
    """``run_dir/ledger.json``: the fingerprint of what the directory's artifacts were made from, and the seconds
    spent on each stage whose result was kept (``charge``), so a resumed run reports its whole cost."""

    def __init__(self, run_dir: Path, fingerprint: dict):
        run_dir = Path(run_dir)
        self.path = run_dir / "ledger.json"
        self.fingerprint = json.loads(json.dumps(fingerprint))  # tuples become lists, as stored
        if self.path.is_file():
            stored = json.loads(self.path.read_text())
            changed = sorted(
                key
                for key in self.fingerprint.keys() | stored["fingerprint"].keys()
                if self.fingerprint.get(key) != stored["fingerprint"].get(key)
            )
            if changed:
                raise CacheMismatchError(
                    f"{run_dir} holds checkpoints made with different {changed}, though its run "
                    "key says otherwise; recompute with --force (lle run, or "
                    "scripts/compute_layer_scores.py for the paper's runs)"
                )
            self.seconds = stored["seconds"]
        elif any(run_dir.glob("*.pt")):
            raise CacheMismatchError(
                f"{run_dir} holds checkpoints but no ledger.json, so what made them is unknown; "
                "recompute with --force (lle run, or scripts/compute_layer_scores.py)"
            )
        else:
            self.seconds = {}
            self._write()  # before any checkpoint exists: a kill after the first one still finds what made it
        self.prior_seconds = sum(self.seconds.values())  # work kept from earlier processes

    def charge(self, stage: str, seconds: float, *, accumulate: bool = True) -> None:
        """Add ``seconds`` to the stage (or, with ``accumulate=False``, replace a stage that was redone whole)."""
        self.seconds[stage] = round((self.seconds.get(stage, 0.0) if accumulate else 0.0) + seconds, 3)
        self._write()

    def _write(self) -> None:
        atomic_write_text(
            self.path, json.dumps({"fingerprint": self.fingerprint, "seconds": self.seconds}, indent=1) + "\n"
        )
