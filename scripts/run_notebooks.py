"""Execute every notebook in place with papermill (make reproduce)."""
import argparse
import sys
import time

from lle.experiments.notebooks import declared_parameters, execute, notebook_paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recompute", type=int, default=0, help="1: rerun training and per-layer scores")
    parser.add_argument("--only", nargs="*", default=None, help="notebook name prefixes to run, e.g. 00 02")
    args = parser.parse_args()
    for path in notebook_paths():
        if args.only and not any(path.name.startswith(prefix) for prefix in args.only):
            continue
        parameters = {"recompute": bool(args.recompute)} if "recompute" in declared_parameters(path) else {}
        start = time.perf_counter()
        print(f"executing {path.name} {parameters or ''}", flush=True)
        execute(path, path, parameters)
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
