"""Quarto runs this file of the review project (see _quarto.yml and notebooks/_metadata.yml):

  _litscope.py pages           before rendering, write the review's pages from the store
                               into curated/ (the project's pre-render step)
  _litscope.py finish          after rendering, copy the RSS feed into the site, keep score
                               tables and BibTeX out of its search, and note what was
                               rendered (the project's post-render step)
  _litscope.py static-outputs  make an executed notebook's outputs static for the website
                               (an ipynb filter)

It runs on the Python Quarto uses, which must have litscope: run Quarto with the project's,
QUARTO_PYTHON=.venv/bin/python quarto render (or 'litscope publish --render').
"""
import sys

try:
    from litscope.publish.quarto_hooks import main
except ImportError:
    sys.exit(f"_litscope.py: litscope is not installed for {sys.executable}; run Quarto with the "
             "project's Python: QUARTO_PYTHON=.venv/bin/python quarto render")

sys.exit(main())
