"""`python -m bmkz_crawler.mirror`: see `cli.py`."""

from __future__ import annotations

import sys

from bmkz_crawler.mirror.cli import main

sys.exit(main())
