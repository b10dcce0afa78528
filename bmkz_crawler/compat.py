"""Every private API of another library this project relies on, behind one adapter each.

A library may rename or drop a private name in any release without notice. Each one used here
goes through a function of this module, and `missing_private_apis()` checks them all against
the installed versions: tests/test_compat.py fails on an upgrade that breaks one, with a message
naming the library, its version and the API — not a crawl that silently misbehaves.

What is used, and why:
- itemloaders `ItemLoader._values`, `ItemLoader._process_input_value`: the loader's processors
  are looked up once per class (extraction/article.py), a tenth of extraction time;
- scrapy `CsvItemExporter._write_headers_and_set_fields_to_export`, `._headers_not_written`: an
  empty CSV feed still gets its header;
- scrapy `ExecutionEngine._slot.nextcall`: a waiting Redis-mode worker wakes as soon as the
  shared queue fills;
- scrapy `BaseRunSpiderCommand._create_crawler`: `scrapy crawl`/`cron` keep the crawler to read
  its stats after the run;
- scrapy downloader `Slot.queue`, `Slot.lastseen`: robots.txt's Crawl-delay counts from the moment
  a request really started, which is later than we let it go when Scrapy held it in its slot
  (politeness.py);
- scrapy `ProtegoRobotParser.rp` (protego's `Protego.request_rate`): Scrapy's parser interface
  exposes robots.txt's Crawl-delay but not its Request-rate (politeness.py);
- scrapy `ProtegoRobotParser.rp.sitemaps`: robots.txt's Sitemap lines from the parse Scrapy's
  robots middleware already made, so robots.txt is fetched once per run;
- scrapy-redis `scrapy_redis.queue.Base._encode_request`, `._decode_request`: requests are
  serialized as scrapy-redis does, into our own atomic frontier.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


# --- itemloaders ------------------------------------------------------------------------------


def loader_values(loader: Any, field_name: str) -> list[Any]:
    """The values collected for a field, before its output processor (`ItemLoader._values`)."""
    return loader._values.get(field_name, [])


# --- scrapy -----------------------------------------------------------------------------------------


def csv_write_header(exporter: Any) -> None:
    """Write a CsvItemExporter's header row now, even before (or without) any row."""
    exporter._write_headers_and_set_fields_to_export(None)
    exporter._headers_not_written = False


def wake_engine(engine: Any) -> bool:
    """Ask the engine to look at its scheduler now rather than at its next 5 s heartbeat."""
    slot = getattr(engine, "_slot", None)
    nextcall = getattr(slot, "nextcall", None)
    if nextcall is None:
        return False
    nextcall.schedule()
    return True


def create_crawler(command: Any, spider_name: str) -> Any:
    """The crawler a `scrapy crawl`-like command would run (kept to read its stats afterwards)."""
    return command._create_crawler(spider_name)


def download_slot_state(engine: Any, request: Any) -> tuple[int, float] | None:
    """(requests waiting in the download slot `request` will go to, `time.monotonic()` when that slot
    last started one), or None when there is no such slot yet (`Downloader.slots[key]`)."""
    downloader = getattr(engine, "downloader", None)
    if downloader is None:
        return None
    slot = downloader.slots.get(downloader.get_slot_key(request))
    if slot is None:
        return None
    return len(slot.queue), slot.lastseen


def robots_request_rate(parser: Any, user_agent: str) -> tuple[int, int] | None:
    """robots.txt's Request-rate for the user agent as (requests, seconds), if the parser is
    Scrapy's Protego one (`ProtegoRobotParser.rp`) and the file states one."""
    request_rate = getattr(getattr(parser, "rp", None), "request_rate", None)
    if not callable(request_rate):
        return None
    rate = request_rate(user_agent)
    return None if rate is None else (int(rate.requests), int(rate.seconds))


def robots_sitemaps(parser: Any) -> list[str]:
    """robots.txt's `Sitemap:` lines from the parser Scrapy's RobotsTxtMiddleware built
    (`ProtegoRobotParser.rp.sitemaps`; the standard library's parser: `site_maps()`), so the
    spider needs no second fetch of robots.txt."""
    protego = getattr(parser, "rp", None)
    if protego is not None and hasattr(protego, "sitemaps"):
        return list(protego.sitemaps)
    site_maps = getattr(protego, "site_maps", None)
    return list(site_maps() or []) if callable(site_maps) else []


# --- scrapy-redis -----------------------------------------------------------------------------------


def redis_encode_request(queue: Any, request: Any) -> Any:
    return queue._encode_request(request)


def redis_decode_request(queue: Any, data: Any) -> Any:
    return queue._decode_request(data)


# --- the check ---------------------------------------------------------------------------------------


def _itemloaders() -> list[str]:
    from itemloaders import ItemLoader

    missing = []
    if not callable(getattr(ItemLoader, "_process_input_value", None)):
        missing.append("ItemLoader._process_input_value (overridden by ArticleLoader)")
    elif "_process_input_value" not in inspect.getsource(ItemLoader.add_value) + inspect.getsource(ItemLoader):
        missing.append("ItemLoader._process_input_value is no longer called by add_value")
    if not isinstance(getattr(ItemLoader(), "_values", None), dict):
        missing.append("ItemLoader._values (a dict of collected values)")
    return missing


def _lines(function: Any) -> set[str]:
    return {line.strip() for line in inspect.getsource(function).splitlines()}


def _scrapy() -> list[str]:
    from scrapy.commands import BaseRunSpiderCommand
    from scrapy.core import downloader, engine
    from scrapy.exporters import CsvItemExporter
    from scrapy.robotstxt import ProtegoRobotParser

    missing = []
    exporter = CsvItemExporter(io.BytesIO())
    if not callable(getattr(exporter, "_write_headers_and_set_fields_to_export", None)):
        missing.append("CsvItemExporter._write_headers_and_set_fields_to_export")
    if not hasattr(exporter, "_headers_not_written"):
        missing.append("CsvItemExporter._headers_not_written")
    engine_source = inspect.getsource(engine)
    if "self._slot" not in engine_source or "nextcall" not in engine_source:
        missing.append("ExecutionEngine._slot.nextcall")
    if not callable(getattr(BaseRunSpiderCommand, "_create_crawler", None)):
        missing.append("BaseRunSpiderCommand._create_crawler")
    slot = downloader.Slot(1, 0.0, 0.0)
    process_queue = getattr(downloader.Downloader, "_process_queue", None)
    if (
        not hasattr(slot, "queue")
        or not isinstance(getattr(slot, "lastseen", None), (int, float))
        or not callable(getattr(downloader.Downloader, "get_slot_key", None))
        or "self.slots" not in inspect.getsource(downloader.Downloader.__init__)
    ):
        missing.append("downloader Downloader.slots, .get_slot_key, Slot.queue, Slot.lastseen")
    elif process_queue is None or not {"now = monotonic()", "slot.lastseen = now"} <= _lines(process_queue):
        missing.append("Slot.lastseen = monotonic() as the slot starts a request (Downloader._process_queue)")
    parser = ProtegoRobotParser(b"User-agent: *\nRequest-rate: 1/5s\n", None)
    if robots_request_rate(parser, "any") != (1, 5):
        missing.append("ProtegoRobotParser.rp.request_rate (robots.txt's Request-rate)")
    parser = ProtegoRobotParser(b"User-agent: *\nSitemap: https://bm.kz/sitemap_index.xml\n", None)
    if robots_sitemaps(parser) != ["https://bm.kz/sitemap_index.xml"]:
        missing.append("ProtegoRobotParser.rp.sitemaps (robots.txt's Sitemap lines)")
    return missing


def _scrapy_redis() -> list[str]:
    try:
        from scrapy_redis.queue import Base
    except ImportError:
        return []  # the redis extra is not installed: Redis mode is not used
    return [
        f"scrapy_redis.queue.Base.{name}" for name in ("_encode_request", "_decode_request") if not hasattr(Base, name)
    ]


CHECKS: dict[str, Callable[[], list[str]]] = {
    "itemloaders": _itemloaders,
    "scrapy": _scrapy,
    "scrapy-redis": _scrapy_redis,
}


def missing_private_apis() -> list[str]:
    """One line per private API the installed libraries no longer have (empty when all are there)."""
    return [
        f"{package} {_version(package)} no longer has {api}: see bmkz_crawler/compat.py"
        for package, check in CHECKS.items()
        for api in check()
    ]
