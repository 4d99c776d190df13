"""Sphinx configuration of the sk_eqprop documentation.

Build (from this folder)::

    python -m sphinx -W -b html . _build/html

The build works offline: links to the documentation of scikit-learn, NumPy,
SciPy, Matplotlib, joblib and Python (intersphinx) are made only when the environment
variable ``SK_EQPROP_DOCS_ONLINE`` is set to a non-empty value other than "0",
because their inventories have to be downloaded. Offline, references into those
projects are rendered as plain text.
"""

import os

import sk_eqprop

# -- Project -----------------------------------------------------------------
project = "sk_eqprop"
author = "The sk_eqprop developers"
copyright = "The sk_eqprop developers"
version = release = sk_eqprop.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "literal"

# -- API reference -----------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
# numpydoc lists the methods of a class in a table; autodoc documents them.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

def _quote_shape_names(app, what, name, obj, options, lines):
    """Quote ``n_features_in_`` in shapes: reST reads a bare ``word_`` as a link target."""
    for i, line in enumerate(lines):
        lines[i] = line.replace("(n_features_in_,)", "(`n_features_in_`,)")


# -- Cross-references to other projects ---------------------------------------
ONLINE = os.environ.get("SK_EQPROP_DOCS_ONLINE", "") not in ("", "0")
if ONLINE:
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable/", None),
        "scipy": ("https://docs.scipy.org/doc/scipy/", None),
        "sklearn": ("https://scikit-learn.org/stable/", None),
        "matplotlib": ("https://matplotlib.org/stable/", None),
        "joblib": ("https://joblib.readthedocs.io/en/stable/", None),
    }
    intersphinx_timeout = 30
else:
    intersphinx_mapping = {}


def _external_ref_as_text(app, env, node, contnode):
    """Offline: render ``:ref:`` and ``:term:`` links into scikit-learn's docs as text.

    scikit-learn's docstrings, inherited by our estimators (``get_params``,
    ``set_fit_request``, ...), link to labels and glossary terms of
    scikit-learn's own documentation that only intersphinx can resolve. Links
    written in this documentation or in sk_eqprop's docstrings are left alone,
    so a broken internal link still fails the build.
    """
    if node.get("refdomain") != "std" or node.get("reftype") not in ("ref", "term"):
        return None
    source = node.source or ""
    if "sklearn" in source.replace(os.sep, "/").split("/site-packages/")[-1]:
        return contnode
    return None


# -- Every public name has its entry in api.rst --------------------------------
def _check_api_page(app):
    import sk_eqprop.datasets
    import sk_eqprop.inspection

    with open(os.path.join(app.srcdir, "api.rst"), encoding="utf-8") as f:
        listed = set(f.read().split())
    modules = [sk_eqprop, sk_eqprop.datasets, sk_eqprop.inspection]
    missing = [
        f"{module.__name__}.{name}"
        for module in modules
        for name in module.__all__
        if not name.startswith("__") and name not in listed
    ]
    if missing:
        from sphinx.util import logging

        logging.getLogger(__name__).warning(
            "api.rst does not list these public names: %s", ", ".join(missing)
        )


# -- Example gallery -----------------------------------------------------------
# The examples fit small networks, whose matrix products gain nothing from BLAS
# threads; one thread keeps them fast and their timings meaningful on a busy machine.
try:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    pass

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sk_eqprop",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sk_eqprop": None},
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
    # Each example page shows its own running time; no sg_execution_times.rst pages,
    # which sphinx-gallery would write into this (versioned) folder.
    "write_computation_times": False,
}

# -- HTML ------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sk_eqprop {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_sidebars = {"index": [], "reproducing": [], "scaling": [], "hyperparameters": []}


def setup(app):
    app.connect("builder-inited", _check_api_page)
    app.connect("autodoc-process-docstring", _quote_shape_names, priority=400)
    if not ONLINE:
        app.connect("missing-reference", _external_ref_as_text)
