"""Sphinx configuration of nnext's documentation: the guide (fragments of the
README) and the API reference (from the numpydoc docstrings of the installed
package).  Build it with ``sphinx-build -W docs docs/_build`` after
``pip install ".[docs]"``."""
import nnext

project = "nnext"
author = "the nnext developers"
copyright = "2026, the nnext developers"
release = version = nnext.__version__      # the one version, nnext/_version.py

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
autodoc_member_order = "bysource"
myst_heading_anchors = 3
html_theme = "alabaster"
