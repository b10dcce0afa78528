"""`python -m bmkz_crawler.mirror.bench`: the mirror's pages per second under a concurrent client.

The server runs in its own process (as in a crawl); this process is the client: an asyncio
HTTP/1.1 client with keep-alive connections fetching distinct pages (articles, archives,
home pages), each once, as a crawler does, so the figure includes rendering every page.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from bmkz_crawler.mirror.app import MirrorApp
from bmkz_crawler.mirror.model import MirrorSite
from bmkz_crawler.mirror.testing import running_mirror


async def _worker(host: str, port: int, paths: list[str], deadline: float, counts: dict[str, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while paths and time.perf_counter() < deadline:
            path = paths.pop()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: mirror-bench\r\n\r\n".encode())
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            counts["bytes"] += len(await reader.readexactly(length))
            counts["pages" if status == 200 else "other"] += 1
    finally:
        writer.close()


async def _run(base_url: str, paths: list[str], concurrency: int, seconds: float) -> tuple[dict[str, int], float]:
    parts = urlsplit(base_url)
    counts = {"pages": 0, "other": 0, "bytes": 0}
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(
        *(_worker(parts.hostname or "", parts.port or 80, paths, deadline, counts) for _ in range(concurrency))
    )
    return counts, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bmkz_crawler.mirror.bench", description=__doc__)
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0, help="stop after this long")
    args = parser.parse_args(argv)
    site = MirrorSite(args.seed, args.articles)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_mirror(Path(tmp), args.articles, args.seed, write_truth=False) as mirror,
    ):
        app = MirrorApp(site, mirror.base_url)  # for the list of paths only: the server renders
        paths = [path for path in app.page_paths() if not path.endswith(".xml")]
        random.Random(args.seed).shuffle(paths)
        counts, elapsed = asyncio.run(_run(mirror.base_url, paths, args.concurrency, args.seconds))
    rate = counts["pages"] / elapsed
    print(
        f"mirror bench: {counts['pages']} distinct pages (+{counts['other']} other answers), "
        f"{counts['bytes'] / 1e6:.1f} MB in {elapsed:.1f} s with {args.concurrency} connections "
        f"({args.articles} articles)"
    )
    print(f"pages/s: {rate:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
