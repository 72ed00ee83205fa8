"""Publishing: the report's inputs (macros and tables) and executing the notebooks."""
