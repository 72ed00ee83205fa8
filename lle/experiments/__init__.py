"""Experiment orchestration over the math and the models: the score cache, the paper runs, evaluation protocols,
the analysis behind every table and claim, notebook execution and figures (``pip install lle[notebooks]``)."""
