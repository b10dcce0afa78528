"""Shim for `scrapyd-deploy`, which builds the egg with `python setup.py bdist_egg` and would write
its own setup.py (another name, no metadata) when none exists. Everything is in pyproject.toml."""

from setuptools import setup

setup()
