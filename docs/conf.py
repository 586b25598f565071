"""Sphinx configuration of nnext's documentation: the guide (the Markdown
pages here), the gallery (the scripts of ``examples/``, run by the build,
which makes their pictures) and the API reference (from the numpydoc
docstrings of the installed package).  ``scripts/docs.sh`` builds it.

The examples run in a short mode (fewer epochs and rounds) unless
NNEXT_DOCS_FULL=1 is set, which runs them as a user would.
"""
import os
import pathlib
import zlib

import nnext

project = "nnext"
author = "the nnext developers"
copyright = "2026, the nnext developers"
release = version = nnext.__version__      # the one version, nnext/_version.py

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",
    "myst_parser",
    "sphinx_copybutton",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "generated/*.md"]
default_role = "py:obj"             # `name` in a docstring links to name

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_preprocess_types = True
autosummary_generate = True
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "inherited-members": False}
templates_path = ["_templates"]
suppress_warnings = ["config.cache"]    # (the gallery's settings hold functions)
autodoc_preserve_defaults = True    # dtype="float64", not <class 'numpy.float64'>
autodoc_typehints = "none"
myst_heading_anchors = 3

html_theme = "pydata_sphinx_theme"
html_title = f"nnext {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

# --- the gallery ----------------------------------------------------------------
FULL = os.environ.get("NNEXT_DOCS_FULL", "0") != "0"
SHORT_ARGUMENTS = {          # what each example gets in the short mode
    "digits_recognizer_train.py": ["--max-rounds", "100"],
    "digits_recognizer_seeds.py": ["--seeds", "0,1", "--max-rounds", "50"],
    "digits_modern.py": ["--epochs", "3"],
    "plot_digits_pictures.py": ["--epochs", "4"],
}
EXAMPLE_ORDER = ["simple_example.py", "digits_recognizer_train.py", "digits_recognizer_test.py",
                 "digits_recognizer_seeds.py", "digits_modern.py", "plot_digits_pictures.py"]


def example_arguments(gallery_conf, script_vars):
    """The command line of an example in the gallery's run."""
    name = os.path.basename(script_vars["src_file"])
    return [] if FULL else SHORT_ARGUMENTS.get(name, [])


def example_order(filename):
    return EXAMPLE_ORDER.index(filename) if filename in EXAMPLE_ORDER else len(EXAMPLE_ORDER)


sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"\.py$",           # run every example
    "ignore_pattern": r"(^|/)pictures\.py$",   # (a helper the examples import)
    "within_subsection_order": example_order,
    "reset_argv": example_arguments,
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "default_thumb_file": None,
}

# --- links to NumPy, scikit-learn and matplotlib -----------------------------------
# Each project's inventory is read from its site; where the build cannot reach
# it (an offline machine, a CI runner), from a small inventory written here of
# the names nnext's documentation mentions, with the same addresses.
KNOWN_TARGETS = {
    "numpy": ("https://numpy.org/doc/stable/", "NumPy", {
        "numpy.ndarray": ("class", "reference/generated/numpy.ndarray.html#numpy.ndarray"),
        "numpy.dtype": ("class", "reference/generated/numpy.dtype.html#numpy.dtype"),
        "numpy.float32": ("attribute", "reference/arrays.scalars.html#numpy.float32"),
        "numpy.float64": ("attribute", "reference/arrays.scalars.html#numpy.float64"),
        "numpy.random.Generator": ("class", "reference/random/generator.html"
                                            "#numpy.random.Generator"),
        "numpy.load": ("function", "reference/generated/numpy.load.html#numpy.load"),
        "numpy.savez": ("function", "reference/generated/numpy.savez.html#numpy.savez"),
    }),
    "sklearn": ("https://scikit-learn.org/stable/", "scikit-learn", {
        "sklearn.neural_network.MLPClassifier": (
            "class", "modules/generated/sklearn.neural_network.MLPClassifier.html"
                     "#sklearn.neural_network.MLPClassifier"),
        "sklearn.neural_network.MLPRegressor": (
            "class", "modules/generated/sklearn.neural_network.MLPRegressor.html"
                     "#sklearn.neural_network.MLPRegressor"),
        "sklearn.model_selection.GridSearchCV": (
            "class", "modules/generated/sklearn.model_selection.GridSearchCV.html"
                     "#sklearn.model_selection.GridSearchCV"),
        "sklearn.pipeline.Pipeline": (
            "class", "modules/generated/sklearn.pipeline.Pipeline.html"
                     "#sklearn.pipeline.Pipeline"),
    }),
    "matplotlib": ("https://matplotlib.org/stable/", "Matplotlib", {
        "matplotlib.axes.Axes": ("class", "api/_as_gen/matplotlib.axes.Axes.html"
                                          "#matplotlib.axes.Axes"),
        "matplotlib.figure.Figure": ("class", "api/_as_gen/matplotlib.figure.Figure.html"
                                              "#matplotlib.figure.Figure"),
    }),
}


def offline_inventory(name, project_name, targets):
    """Write an inventory (Sphinx's objects.inv format, version 2) of targets
    and return its path."""
    lines = "".join(f"{target} py:{role} 1 {uri} -\n"
                    for target, (role, uri) in targets.items())
    header = (f"# Sphinx inventory version 2\n# Project: {project_name}\n# Version: \n"
              "# The remainder of this file is compressed using zlib.\n")
    path = pathlib.Path(__file__).parent / "_build" / "inventories" / f"{name}.inv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode() + zlib.compress(lines.encode()))
    return str(path)


intersphinx_mapping = {
    name: (url, (None, offline_inventory(name, project_name, targets)))
    for name, (url, project_name, targets) in KNOWN_TARGETS.items()
}
intersphinx_timeout = 5
