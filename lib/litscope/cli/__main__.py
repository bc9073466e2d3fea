"""`python -m litscope.cli`: the `litscope` command."""
import sys

from . import main

sys.exit(main())
