"""Coverage-guided fuzz harnesses (atheris/libFuzzer) for the parsers that face hostile
input: webhook verification + provider parsers, the e-mail parser, the PDF/image intake.

Each harness is a script: ``python fuzz/<name>.py CORPUS_DIR [libFuzzer flags]``. Build a
seed corpus first with ``python -m fuzz.seeds <name> CORPUS_DIR``. CI runs every harness
for a bounded number of runs (``tests/fuzz/test_atheris_harnesses.py``); a longer
campaign is the same command with e.g. ``-max_total_time=3600 -jobs=4``. A crash
(an exception outside the harness's documented contract) stops the run, prints the
traceback and writes the input as ``crash-<sha1>`` (``-artifact_prefix=DIR/``).
"""
