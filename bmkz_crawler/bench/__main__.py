"""Entry point of `python -m bmkz_crawler.bench [--json FILE] [--quick]`."""

from __future__ import annotations

from bmkz_crawler.bench.runner import main

if __name__ == "__main__":
    raise SystemExit(main())
