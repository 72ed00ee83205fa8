"""Storing results: score files and run folders (atomic commits, locks, free space), stored grids, the
time ledger, claim output folders, and the CSV/LaTeX/figure/page writers everything else uses."""
