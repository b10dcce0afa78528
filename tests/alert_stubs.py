"""Real servers on loopback standing in for the alert channels: an SMTP server (aiosmtpd) and
small HTTP servers answering as Telegram's Bot API and a Slack incoming webhook do. Each keeps
the messages it received, and can be told to refuse them (SMTP 554, HTTP 500) to test retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.servers import free_port


@dataclass
class SmtpInbox:
    """What the SMTP server received; `refuse` makes it answer 554 to the next messages."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Message] = field(default_factory=list)
    refuse: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's handler hook
        if self.refuse:
            return "554 5.7.1 Message refused by the test server"
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def texts(self) -> list[str]:
        return [message.get_payload(decode=True).decode().replace("\r\n", "\n") for message in self.messages]


@contextmanager
def running_smtp() -> Iterator[SmtpInbox]:
    inbox = SmtpInbox(port=free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class HttpInbox:
    """The JSON bodies POSTed to the stub, with their paths; `status` is what it answers."""

    url: str = ""
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    kind: str = "slack"

    def texts(self) -> list[str]:
        return [body["text"] for _, body in self.posts]


def _handler(inbox: HttpInbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if inbox.status == 200:
                inbox.posts.append((self.path, body))
            if inbox.kind == "telegram":
                ok = inbox.status == 200 and self.path.endswith("/sendMessage")
                answer = json.dumps(
                    {"ok": ok, "result": {"message_id": len(inbox.posts)}}
                    if ok
                    else {"ok": False, "description": "Internal Server Error"}
                ).encode()
            else:
                answer = b"ok" if inbox.status == 200 else b"internal_error"
            self.send_response(inbox.status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

    return Handler


@contextmanager
def running_http_stub(kind: str) -> Iterator[HttpInbox]:
    """kind "telegram": answers as the Bot API ({"ok": true}); "slack": answers "ok" as a webhook."""
    inbox = HttpInbox(kind=kind)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(inbox))
    inbox.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield inbox
    finally:
        server.shutdown()
        server.server_close()
