"""`python -m alertgate` runs the command line."""

import sys

from alertgate.cli import main

sys.exit(main())
