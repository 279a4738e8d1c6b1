"""Sphinx configuration of skfusion's documentation.

Build it with ``python -m sphinx -W --keep-going -b html doc doc/_build/html``
after ``pip install -c constraints.txt -e ".[doc]"``: the gallery examples and
the commands whose output the pages show run during the build.
"""

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import matplotlib

import skfusion
from skfusion.datasets import write_squad_example

# Figures of the gallery are written to files: no display is needed.
matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

project = "skfusion"
author = "skfusion developers"
copyright = "skfusion developers"
release = skfusion.__version__
version = release

extensions = [
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx_gallery.gen_gallery",
    "sphinxarg.ext",
    "sphinxcontrib.programoutput",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_walkthrough"]
root_doc = "index"
default_role = "literal"
# Keep "--option" as typed: no en dashes in the command's documentation.
smartquotes_action = "qe"

# API reference: one page per object, generated from doc/api.rst.
autosummary_generate = True
# "fit()" rather than "TorchLogisticFusion.fit()" in the page's table of
# contents, whose column is too narrow for the full names.
toc_object_entries_show_parents = "hide"
autodoc_typehints = "none"
# The class template (_templates/class.rst) documents the methods with
# autodoc; numpydoc's own table of them would repeat the list.
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # "Examples using X" at the end of each API page: written beside the
    # pages that autosummary generates, which include them.
    "doc_module": ("skfusion",),
    "backreferences_dir": "generated",
    "reference_url": {"skfusion": None},
    "download_all_examples": False,
    # The order of the workflow, rather than by length.
    "within_subsection_order": "gallery_order.WorkflowOrder",
    "remove_config_comments": True,
    "show_memory": False,
    # No sg_execution_times pages: build timings, not documentation, and their
    # tables load scripts from CDNs, which fail offline.
    "write_computation_times": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"skfusion {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
    # The page's table of contents lists a class's methods, expanded.
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["skfusion.css"]
# Only the API reference has pages to navigate between; elsewhere the
# left sidebar would only narrow the code and the command outputs.
html_sidebars = {
    "index": [],
    "install": [],
    "user_guide": [],
    "cli": [],
    "auto_examples/*": [],
}

# The user guide's walkthrough runs the skfusion command on a simulated
# reader's output files: write them afresh, as the guide's command does.
WALKTHROUGH = HERE / "_walkthrough"
shutil.rmtree(WALKTHROUGH, ignore_errors=True)
write_squad_example(WALKTHROUGH / "example")
# The commands that programoutput runs are this environment's, whether or
# not it is activated.
os.environ["PATH"] = os.pathsep.join(
    [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
)


def _quote_bare_shapes(app, what, name, obj, options, lines):
    """Quote ``n_features_in_`` in a bare shape such as ``(n_features_in_,)``.

    reST reads a word ending in "_" as a link to a target of that name, which
    fails the build; scikit-learn's docstrings write ``(`n_features_in_`,)``.
    """
    for i, line in enumerate(lines):
        lines[i] = line.replace("(n_features_in_,)", "(`n_features_in_`,)")


# Paths of the machine that builds the site, in the gallery's captured output
# (warnings name the example's file and the temporary folder it wrote): the
# first is dropped, the second named for what it is.
_BUILD_PATHS = [
    (re.escape(str(HERE.parent / "examples") + os.sep), ""),
    (re.escape(str(Path(tempfile.gettempdir()) / "tmp")) + r"\w+", "<temp folder>"),
]


def _drop_build_paths(app, docname, source):
    """Write the gallery's outputs without the build machine's paths."""
    if docname.startswith("auto_examples/"):
        for pattern, replacement in _BUILD_PATHS:
            source[0] = re.sub(pattern, replacement, source[0])


def setup(app):
    """Register the docstring fix and the gallery's path clean-up above."""
    app.connect("autodoc-process-docstring", _quote_bare_shapes)
    app.connect("source-read", _drop_build_paths)
