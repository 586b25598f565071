# The one place nnext's version is written: the package metadata
# (pyproject.toml reads it), nnext.__version__ and the documentation use it.
__version__ = "0.3.0"
