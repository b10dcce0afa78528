"""Command line: `python -m bmkz_crawler.mirror --port 8765 --articles 2000 [--theme newsroom] [--now ISO]
[--grown-from N ...] [...]`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from bmkz_crawler.mirror import changes
from bmkz_crawler.mirror.app import MirrorApp
from bmkz_crawler.mirror.faults import MISSING, REDIRECT_LOOP, FaultConfig, Faults
from bmkz_crawler.mirror.model import MirrorSite
from bmkz_crawler.mirror.themes import DEFAULT_THEME, THEMES
from bmkz_crawler.mirror.truth import changes_report, iter_truth, write_truth


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bmkz_crawler.mirror", description="Serve a deterministic offline mirror of BM.KZ."
    )
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (default: 8765)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--articles", type=int, default=2000, help="articles across both editions")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--now",
        type=parse_instant,
        help="ISO-8601 instant (UTC without an offset): move every date so the site's last change "
        "(newest publication or edit) is one day before it (default: the fixed 2023-2025 timeline)",
    )
    parser.add_argument(
        "--anchor-articles",
        type=int,
        metavar="M",
        help="with --now: anchor the timeline of an M-article site instead (M >= --articles), so that "
        "a smaller run is that site as it stood earlier, with the same dates",
    )
    parser.add_argument(
        "--deleted-redirect",
        action="store_true",
        help="deleted articles (--grown-from) answer 301 to their edition's home page instead of 404",
    )
    parser.add_argument(
        "--no-validators",
        dest="validators",
        action="store_false",
        help="no ETag/Last-Modified on feeds, sitemaps and robots.txt, and never 304",
    )
    parser.add_argument(
        "--theme",
        choices=sorted(THEMES),
        default=DEFAULT_THEME,
        help="HTML markup of the pages; URLs, sitemaps, feeds, faults and truth are the same (default: %(default)s)",
    )
    parser.add_argument(
        "--grown-from",
        type=int,
        nargs="+",
        default=[],
        metavar="N",
        help="the smaller sizes (--articles) this site grew through, ascending: each step silently edits "
        "and deletes a few articles of the smaller site (default: none, the site as it always was)",
    )
    parser.add_argument(
        "--silent-edits",
        type=int,
        default=changes.SILENT_EDITS,
        metavar="K",
        help="with --grown-from: articles per step whose body changes while modified_at, sitemap lastmod "
        "and feed dates do not (default: %(default)s)",
    )
    parser.add_argument(
        "--deletions",
        type=int,
        default=changes.DELETIONS,
        metavar="K",
        help="with --grown-from: articles per step that answer 404 and are listed and linked nowhere "
        "(default: %(default)s)",
    )
    parser.add_argument("--changes", type=Path, help="write the silent edits, deletions and visible edits (JSON)")
    parser.add_argument("--faults", action="store_true", help="inject faults (off by default)")
    parser.add_argument("--truth", type=Path, help="write the expected Article of every article page (JSONL)")
    parser.add_argument("--request-log", type=Path, help="log every request as `METHOD PATH STATUS`")
    parser.add_argument("--fault-plan", type=Path, help="write which paths get which fault (JSON)")
    defaults = FaultConfig()
    group = parser.add_argument_group("fault rates (with --faults)")
    group.add_argument("--transient-rate", type=float, default=defaults.transient_rate)
    group.add_argument("--slow-rate", type=float, default=defaults.slow_rate)
    group.add_argument("--slow-min", type=float, default=defaults.slow_min)
    group.add_argument("--slow-max", type=float, default=defaults.slow_max)
    group.add_argument("--missing-rate", type=float, default=defaults.missing_rate)
    for name in ("truncated", "broken-markup", "wrong-charset", "redirect-loops"):
        attribute = name.replace("-", "_")
        group.add_argument(f"--{name}", type=int, default=getattr(defaults, attribute), help="articles")
    args = parser.parse_args(argv)
    if args.anchor_articles is not None and (args.now is None or args.anchor_articles < args.articles):
        parser.error("--anchor-articles needs --now and must be at least --articles")
    try:
        changes.check_history(args.grown_from, args.articles)
    except ValueError as error:
        parser.error(f"--grown-from: {error}")
    if args.silent_edits < 0 or args.deletions < 0:
        parser.error("--silent-edits and --deletions must not be negative")
    return args


def parse_instant(text: str) -> int:
    """Unix seconds of an ISO-8601 date or date-time; one without an offset is UTC."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date-time: {text!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def fault_config(args: argparse.Namespace) -> FaultConfig:
    return FaultConfig(
        transient_rate=args.transient_rate,
        slow_rate=args.slow_rate,
        slow_min=args.slow_min,
        slow_max=args.slow_max,
        missing_rate=args.missing_rate,
        truncated=args.truncated,
        broken_markup=args.broken_markup,
        wrong_charset=args.wrong_charset,
        redirect_loops=args.redirect_loops,
    )


def main(argv: list[str] | None = None) -> int:
    from twisted.internet import reactor

    from bmkz_crawler.mirror.server import listen

    args = parse_args(argv)
    site = MirrorSite(
        args.seed,
        args.articles,
        args.now,
        args.anchor_articles,
        grown_from=args.grown_from,
        silent_edits=args.silent_edits,
        deletions=args.deletions,
    )
    faults = Faults(site, fault_config(args), enabled=args.faults)
    request_log = args.request_log.open("w", encoding="utf-8", buffering=1) if args.request_log else None
    _, app = listen(
        lambda base: MirrorApp(
            site, base, faults, theme=args.theme, validators=args.validators, deleted_redirect=args.deleted_redirect
        ),
        args.port,
        args.host,
        request_log,
    )
    if args.truth:
        unreachable = [path for path, kind in faults.article_faults.items() if kind in (MISSING, REDIRECT_LOOP)]
        write_truth(iter_truth(site, app.base, exclude=unreachable), args.truth)
    if args.fault_plan:
        plan = faults.plan(app.page_paths(), app.base)
        args.fault_plan.write_text(json.dumps(plan, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.changes:
        report = changes_report(site, app.base)
        args.changes.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    # tests wait for this line: everything above is written by the time it appears
    print(f"mirror listening on {app.base}", flush=True)
    try:
        reactor.run()  # type: ignore[attr-defined]  # stops on SIGINT/SIGTERM
    finally:
        if request_log is not None:
            request_log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
