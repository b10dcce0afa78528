"""The benchmark run: starts the mirrors, measures the five figures, prints a table, writes JSON.

`--quick` is the same run at a much smaller scale (a minute or so): for trying the command,
not for the README's figures. `--real-pages DIR` adds the real-pages part (ours and trafilatura
on a folder of real pages with their suites' expectations, `bmkz_crawler.bench.real_pages`);
`--only real-pages` runs that part alone, without starting any mirror.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bmkz_crawler.bench.crawls import crawl_fetch_only, crawl_news
from bmkz_crawler.bench.extraction import extraction_figure
from bmkz_crawler.bench.incremental import incremental_figure
from bmkz_crawler.bench.real_pages import real_pages_figure, real_pages_table
from bmkz_crawler.mirror import bench as mirror_bench
from bmkz_crawler.mirror.app import MirrorApp
from bmkz_crawler.mirror.model import MirrorSite
from bmkz_crawler.mirror.testing import MirrorHandle, running_mirror

GOAL_THROUGHPUT_RATIO = 0.6
GOAL_PEAK_RSS_MB = 300.0
GOAL_RSS_GROWTH = 1.5


@dataclass(frozen=True)
class Scale:
    big_crawl: int  # articles of the crawl for throughput and the larger memory figure
    small_crawl: int  # articles of the memory comparison crawl (also the extraction pages' mirror)
    extraction_pages: int
    incremental_n: int
    incremental_k: int
    mirror_seconds: float
    seed: int = 1


FULL = Scale(10_000, 2_500, 500, 5_000, 100, 5.0)
QUICK = Scale(600, 150, 60, 300, 20, 1.0)


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()

    def package(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {
        "nproc": int(nproc) if nproc.isdigit() else None,
        "cpu": model,
        "python": platform.python_version(),
        "scrapy": package("scrapy"),
        "lxml": package("lxml"),
        "trafilatura": package("trafilatura"),
        "platform": platform.platform(),
    }


def logged_urls(mirror: MirrorHandle, target: Path) -> Path:
    """The URLs the real crawl requested, each once and in order: the fetch-only spider's list."""
    base = mirror.base_url.rstrip("/")
    urls = dict.fromkeys(base + entry.path for entry in mirror.requests() if entry.method == "GET")
    target.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return target


def mirror_pages_per_second(mirror: MirrorHandle, articles: int, seed: int, seconds: float) -> dict[str, Any]:
    """The mirror's own rate, measured with `bmkz_crawler.mirror.bench`'s client."""
    app = MirrorApp(MirrorSite(seed, articles), mirror.base_url)  # for the list of paths only
    paths = [path for path in app.page_paths() if not path.endswith(".xml")]
    random.Random(seed).shuffle(paths)
    counts, elapsed = asyncio.run(mirror_bench._run(mirror.base_url, paths, 32, seconds))
    return {"pages_per_second": round(counts["pages"] / elapsed, 1), "pages": counts["pages"], "connections": 32}


def run(scale: Scale, workdir: Path, log: Any = print) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "scale": asdict(scale)}
    started = time.monotonic()

    log(f"[1,3,5] crawl of a {scale.big_crawl}-article mirror, fetch-only baseline, mirror rate")
    with running_mirror(workdir / "mirror-big", articles=scale.big_crawl, seed=scale.seed, write_truth=False) as big:
        news = crawl_news(big.base_url, workdir / "crawl-big")
        url_file = logged_urls(big, workdir / "urls.txt")
        fetch = crawl_fetch_only(url_file, workdir / "fetch-big")
        mirror = mirror_pages_per_second(big, scale.big_crawl, scale.seed, scale.mirror_seconds)
    results["throughput"] = {
        "pages": news.pages,
        "articles": news.stat("item_scraped_count"),
        "news_pages_per_second": round(news.pages_per_second, 1),
        "fetch_only_pages": fetch.pages,
        "fetch_only_pages_per_second": round(fetch.pages_per_second, 1),
        "ratio": round(news.pages_per_second / fetch.pages_per_second, 3),
        "goal_ratio": GOAL_THROUGHPUT_RATIO,
    }
    results["mirror"] = mirror

    log(f"[2,3] crawl of a {scale.small_crawl}-article mirror; extraction on {scale.extraction_pages} of its pages")
    with running_mirror(workdir / "mirror-small", articles=scale.small_crawl, seed=scale.seed) as small:
        small_news = crawl_news(small.base_url, workdir / "crawl-small")
        results["extraction"] = extraction_figure(small.truth(), scale.extraction_pages)
    log(f"[2n] extraction on {scale.extraction_pages} pages of the same site in the unknown 'newsroom' theme")
    with running_mirror(
        workdir / "mirror-newsroom", articles=scale.small_crawl, seed=scale.seed, theme="newsroom"
    ) as newsroom:
        results["extraction_newsroom"] = extraction_figure(newsroom.truth(), scale.extraction_pages)
    results["memory"] = {
        "big_articles": news.stat("item_scraped_count"),
        "big_peak_rss_mb": round(news.peak_rss_mb, 1),
        "small_articles": small_news.stat("item_scraped_count"),
        "small_peak_rss_mb": round(small_news.peak_rss_mb, 1),
        "growth": round(news.peak_rss_mb / small_news.peak_rss_mb, 3),
        "goal_peak_rss_mb": GOAL_PEAK_RSS_MB,
        "goal_growth": GOAL_RSS_GROWTH,
    }

    log(
        f"[4] cron runs on one state, the mirror grown from {scale.incremental_n}:"
        f" +5, unchanged, +{scale.incremental_k}, a burst"
    )
    results["incremental"] = incremental_figure(
        workdir / "incremental", scale.incremental_n, scale.incremental_k, scale.seed
    )
    results["seconds"] = round(time.monotonic() - started, 1)
    results["goals"] = goals(results)
    return results


def goals(results: dict[str, Any]) -> dict[str, bool]:
    t, e, m, i = results["throughput"], results["extraction"], results["memory"], results["incremental"]
    return {
        "throughput_ratio": t["ratio"] >= GOAL_THROUGHPUT_RATIO,
        "extraction_speedup": e["speedup"] >= e["goal_speedup"],
        "peak_rss": m["big_peak_rss_mb"] <= GOAL_PEAK_RSS_MB,
        "rss_growth": m["growth"] <= GOAL_RSS_GROWTH,
        "requests_per_new_article": (i["requests_per_new_article"] or 0) <= i["goal_requests_per_new_article"],
        "unchanged_requests": i["unchanged_requests"] <= i["goal_unchanged_requests"],
        "small_requests": i["small_requests"] <= i["goal_small_requests"],
        "burst_delivered": i["burst_delivered"] == i["burst_wanted"],
        "no_article_fetched_twice": i["articles_fetched_twice"] == 0,
    }


def table(results: dict[str, Any]) -> str:
    t, e, m, i, g = (results[k] for k in ("throughput", "extraction", "memory", "incremental", "goals"))
    mine, theirs = e["ours_accuracy"], e["trafilatura_accuracy"]
    mark = {True: "yes", False: "NO"}
    rows = [
        ("1 crawl pages/s: scrapy crawl news", f"{t['news_pages_per_second']:.0f}", "", ""),
        ("1 crawl pages/s: fetch-only spider", f"{t['fetch_only_pages_per_second']:.0f}", "", ""),
        ("1 throughput ratio", f"{t['ratio']:.2f}", "≥ 0.6", mark[g["throughput_ratio"]]),
        ("2 ms/page: ArticleExtractor", f"{e['ours_ms_per_page']:.2f}", "", ""),
        ("2 ms/page: trafilatura bare_extraction", f"{e['trafilatura_ms_per_page']:.2f}", "", ""),
        ("2 speed-up", f"{e['speedup']:.1f}×", "≥ 6×", mark[g["extraction_speedup"]]),
        ("2 title exact (ours / trafilatura)", f"{mine['title_exact']:.1%} / {theirs['title_exact']:.1%}", "", ""),
        (
            "2 published_at exact (ours / traf.)",
            f"{mine['published_at_exact']:.1%} / {theirs['published_at_exact']:.1%}",
            "",
            "",
        ),
        (
            "2 published day (ours / traf.)",
            f"{mine['published_day']:.1%} / {theirs['published_day']:.1%}",
            "",
            "",
        ),
        (
            "2 body token F1 (ours / trafilatura)",
            f"{mine['body_token_f1']:.3f} / {theirs['body_token_f1']:.3f}",
            "",
            "",
        ),
        *newsroom_rows(results.get("extraction_newsroom")),
        (
            f"3 peak RSS, {m['big_articles']} articles",
            f"{m['big_peak_rss_mb']:.0f} MB",
            "≤ 300 MB",
            mark[g["peak_rss"]],
        ),
        (f"3 peak RSS, {m['small_articles']} articles", f"{m['small_peak_rss_mb']:.0f} MB", "", ""),
        ("3 growth (big / small)", f"{m['growth']:.2f}×", "≤ 1.5×", mark[g["rss_growth"]]),
        (
            "4 unchanged site: requests (304s)",
            f"{i['unchanged_requests']} ({i['stages'][2]['not_modified']})",
            f"≤ {i['goal_unchanged_requests']}",
            mark[g["unchanged_requests"]],
        ),
        (
            f"4 requests for {i['small_k']} new articles",
            str(i["small_requests"]),
            f"≤ {i['goal_small_requests']}",
            mark[g["small_requests"]],
        ),
        (
            f"4 requests per new article ({i['n']}→+{i['k']})",
            f"{i['requests_per_new_article']:.2f}",
            f"≤ {i['goal_requests_per_new_article']}",
            mark[g["requests_per_new_article"]],
        ),
        (
            "4 requests / not new or edited",
            f"{i['requests']} / {i['overhead_requests']} ({i['edited_articles']} edited)",
            "",
            "",
        ),
        (
            f"4 burst of {i['burst']}: new or edited delivered",
            f"{i['burst_delivered']} / {i['burst_wanted']}",
            "all",
            mark[g["burst_delivered"]],
        ),
        ("4 articles fetched twice", str(i["articles_fetched_twice"]), "0", mark[g["no_article_fetched_twice"]]),
        ("5 mirror pages/s", f"{results['mirror']['pages_per_second']:.0f}", "", ""),
    ]
    widths = [max(len(row[c]) for row in rows) for c in range(4)]
    header = ("figure", "measured", "goal", "holds")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    mach = results["machine"]
    lines.append(
        f"machine: {mach['nproc']} CPUs, {mach['cpu']}; Python {mach['python']}, Scrapy {mach['scrapy']}, "
        f"lxml {mach['lxml']}, trafilatura {mach['trafilatura']}; {results['seconds']:.0f} s"
    )
    return "\n".join(lines)


def newsroom_rows(figure: dict[str, Any] | None) -> list[tuple[str, str, str, str]]:
    """Figure 2 on the unknown-theme mirror (generic layers only): printed, no goal yet."""
    if not figure:
        return []
    mine, theirs = figure["ours_accuracy"], figure["trafilatura_accuracy"]
    return [
        (
            "2n newsroom ms/page (ours / traf.)",
            f"{figure['ours_ms_per_page']:.2f} / {figure['trafilatura_ms_per_page']:.2f}",
            "",
            "",
        ),
        ("2n newsroom title exact", f"{mine['title_exact']:.1%} / {theirs['title_exact']:.1%}", "", ""),
        (
            "2n newsroom published_at exact",
            f"{mine['published_at_exact']:.1%} / {theirs['published_at_exact']:.1%}",
            "",
            "",
        ),
        ("2n newsroom body token F1", f"{mine['body_token_f1']:.3f} / {theirs['body_token_f1']:.3f}", "", ""),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bmkz_crawler.bench", description=__doc__)
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--quick", action="store_true", help="a much smaller run (about a minute)")
    parser.add_argument("--keep", type=Path, help="keep crawl logs, feeds and request logs in this folder")
    parser.add_argument(
        "--real-pages", type=Path, metavar="DIR", help="also score both extractors on this folder of real pages"
    )
    parser.add_argument(
        "--only",
        choices=("all", "real-pages", "monitoring", "archive"),
        default="all",
        help="`real-pages`: only the real-pages part (needs --real-pages; starts no mirror);"
        " `monitoring`: only the crawl with monitoring off and on (bmkz_crawler.bench.monitoring);"
        " `archive`: only the crawl with the archive off and on and search (bmkz_crawler.bench.archive)",
    )
    parser.add_argument(
        "--archive-postgres",
        metavar="URL",
        help="PostgreSQL database for the archive's search figure (default: start a throw-away one)",
    )
    args = parser.parse_args(argv)
    if args.only == "real-pages" and args.real_pages is None:
        parser.error("--only real-pages needs --real-pages DIR")
    if args.real_pages is not None and not (args.real_pages / "manifest.jsonl").is_file():
        # Checked before the mirror runs, which take minutes, not after them.
        parser.error(f"{args.real_pages} has no manifest.jsonl")
    scale = QUICK if args.quick else FULL

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.only == "monitoring":
        from bmkz_crawler.bench.monitoring import monitoring_figure, monitoring_table

        articles = QUICK.small_crawl * 2 if args.quick else FULL.small_crawl
        log(f"[M] crawl of a {articles}-article mirror with monitoring off and on")
        with tempfile.TemporaryDirectory(prefix="bmkz-bench-") as tmp:
            figure = monitoring_figure(args.keep or Path(tmp), articles, log=log)
        print(monitoring_table(figure))
        if args.json:
            args.json.write_text(json.dumps({"machine": machine(), "monitoring": figure}, indent=1) + "\n")
        return 0
    if args.only == "archive":
        from bmkz_crawler.bench.archive import archive_figure, archive_table

        crawl_articles = QUICK.small_crawl * 2 if args.quick else FULL.small_crawl
        search_articles = 2_500 if args.quick else 25_000  # x4 versions
        with tempfile.TemporaryDirectory(prefix="bmkz-bench-") as tmp:
            workdir = args.keep or Path(tmp)
            figure = archive_figure(workdir, crawl_articles, search_articles, args.archive_postgres, log=log)
        print(archive_table(figure))
        if args.json:
            args.json.write_text(json.dumps({"machine": machine(), "archive": figure}, indent=1) + "\n")
        return 0
    if args.only == "real-pages":
        results: dict[str, Any] = {"machine": machine()}
    elif args.keep:
        results = run(scale, args.keep, log)
    else:
        with tempfile.TemporaryDirectory(prefix="bmkz-bench-") as tmp:
            results = run(scale, Path(tmp), log)
    if args.real_pages is not None:
        # After the crawls, so the mirrors' figures are measured on an otherwise idle machine.
        log(f"[R] ArticleExtractor and trafilatura on the real pages of {args.real_pages}")
        results["real_pages"] = real_pages_figure(args.real_pages)
    if args.only == "all":
        print(table(results))
    if "real_pages" in results:
        if args.only == "all":
            print()
        print(real_pages_table(results["real_pages"]))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0
