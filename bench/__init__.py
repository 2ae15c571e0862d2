"""Benchmarks that print tables and write JSON; not part of the pass/fail suite.

``python -m bench`` runs them all (see ``bench/__main__.py``); each module also
runs alone, e.g. ``python -m bench.fanout --players 200``. Everything runs on
loopback, every process a benchmark starts is stopped when it ends, and the
figures go to ``bench/results/<name>.json``. The budgets they check are in
DESIGN.md, "Performance budgets"; docs/performance.md has the latest table.
"""
