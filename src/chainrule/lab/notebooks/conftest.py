"""Keep pytest's --doctest-modules from importing the lab notebook: importing would run all of it.

The notebook is executed on purpose, with a kernel, by tests/test_lab.py.
"""

collect_ignore_glob = ["*.py"]
