"""The Twisted web server around `MirrorApp`: request log, slow answers, shutdown.

Slow answers are scheduled with `reactor.callLater`, never `time.sleep`, so one slow page
does not hold up the others. A 304 is finished by hand too: Twisted would add `Content-Length:
0`, which a 304 must not state (RFC 9110 8.6), as its body would not have been empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from twisted.internet import reactor
from twisted.internet.interfaces import IListeningPort
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request, Site

from bmkz_crawler.mirror.app import MirrorApp, Reply
from bmkz_crawler.mirror.validators import http_date

_CONDITIONAL = (b"if-none-match", b"if-modified-since")


class MirrorResource(Resource):
    isLeaf = True

    def __init__(self, request_log: IO[str] | None = None) -> None:
        super().__init__()
        self.app: MirrorApp | None = None  # set once the port, hence the base URL, is known
        self.request_log = request_log

    def render(self, request: Request) -> bytes | int:
        method = request.method.decode("ascii", "replace")
        target = request.uri.decode("latin-1")
        assert self.app is not None
        conditions = {
            name.decode(): value.decode("latin-1") for name in _CONDITIONAL if (value := request.getHeader(name))
        }
        reply = self.app.respond(method, target, conditions)
        if self.request_log is not None:
            # line-buffered file: a test can read the log while the server runs
            self.request_log.write(f"{method} {target} {reply.status}\n")
        request.setResponseCode(reply.status)
        if reply.content_type:
            request.setHeader(b"content-type", reply.content_type.encode())
        request.setHeader(b"server", b"bmkz-mirror")
        if reply.location:
            request.setHeader(b"location", reply.location.encode())
        if reply.etag is not None:
            request.setHeader(b"etag", reply.etag.encode())
        if reply.last_modified is not None:
            request.setHeader(b"last-modified", http_date(reply.last_modified).encode())
        if not reply.delay and reply.status != 304:
            return reply.body
        if not reply.delay:
            self._finish(request, reply)
            return NOT_DONE_YET
        call = reactor.callLater(reply.delay, self._finish, request, reply)  # type: ignore[attr-defined]
        request.notifyFinish().addErrback(lambda _failure: call.active() and call.cancel())
        return NOT_DONE_YET

    @staticmethod
    def _finish(request: Request, reply: Reply) -> None:
        if request.method != b"HEAD" and reply.status != 304:
            request.setHeader(b"content-length", str(len(reply.body)).encode())
            request.write(reply.body)
        request.finish()


class QuietSite(Site):
    """No access log on the Twisted logger: `--request-log` is the log, and logging costs time."""

    noisy = False

    def log(self, request: Request) -> None:
        pass


def listen(
    build_app: Callable[[str], MirrorApp], port: int, host: str, request_log: IO[str] | None = None
) -> tuple[IListeningPort, MirrorApp]:
    """Listen on host:port (0: any free port), then build the app for the base URL it gives."""
    resource = MirrorResource(request_log)
    site = QuietSite(resource)
    site.displayTracebacks = False
    listening = reactor.listenTCP(port, site, interface=host, backlog=256)  # type: ignore[attr-defined]
    link_host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    resource.app = build_app(f"http://{link_host}:{listening.getHost().port}/")
    return listening, resource.app
