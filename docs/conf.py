"""Sphinx configuration for txh11's manual.

Build:  sphinx-build -W -b html docs docs/_build/html
Needs:  pip install -e '.[docs]'  (Sphinx); Graphviz's ``dot`` for drawn state
        diagrams (without it they are rendered as tables, still without warnings).
Nothing here touches the network.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Document the working tree, even when another txh11 is installed.
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, os.path.join(HERE, "_ext"))

import txh11  # noqa: E402

project = "txh11"
author = "the txh11 developers"
copyright = "the txh11 developers, MIT licence"
release = txh11.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.graphviz",
    "statediagrams",  # docs/_ext: state diagrams drawn from the core's tables
    "mdinclude",  # docs/_ext: CHANGELOG.md included without a Markdown parser
    "zopeinterfaces",  # docs/_ext: autodoc for zope.interface interfaces
    "twistdoptions",  # docs/_ext: the twistd plugin's options, from its Options class
]

root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "_examples/README*"]
templates_path = []
pygments_style = "sphinx"
nitpicky = False

# -- autodoc ----------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_typehints_format = "short"
autodoc_class_signature = "mixed"
autodoc_default_options = {}
autodoc_inherit_docstrings = False

# -- intersphinx, offline ---------------------------------------------------
# No inventory is ever fetched. Where a distribution ships an inventory on
# disk (Debian's python3-doc), it is used; otherwise the mapping stays empty
# and references to the standard library are plain text.
intersphinx_mapping = {}
_PY_INV = "/usr/share/doc/python3/html/objects.inv"
if os.path.exists(_PY_INV):
    intersphinx_mapping["python"] = ("https://docs.python.org/3", _PY_INV)
intersphinx_timeout = 1

# -- graphviz ---------------------------------------------------------------
graphviz_output_format = "svg"
graphviz_dot = os.environ.get("GRAPHVIZ_DOT", "dot")

# -- HTML -------------------------------------------------------------------
html_theme = "alabaster"
html_static_path = ["_static"]
html_css_files = ["txh11.css"]
html_title = f"txh11 {release}"
html_theme_options = {
    "description": "HTTP/1.1 for Twisted on a sans-I/O core",
    "fixed_sidebar": False,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
