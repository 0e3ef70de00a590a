"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

import socket
import threading
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """aiosmtpd handler: stores each message (parsed) with its envelope."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.messages = []
        self.connections = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.original_content or envelope.content,
                                     policy=policy.default)
        with self.lock:
            self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                  "message": message})
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


class SMTPServer:
    """Start and stop a loopback SMTP server on a fixed port (so tests can take it down)."""

    def __init__(self, delay: float = 0.0):
        self.port = free_port()
        self.handler = Recorder(delay)
        self._controller = None

    @property
    def messages(self):
        return self.handler.messages

    def start(self):
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def config(self) -> dict:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "CRM_MAIL_TIMEOUT": 2}
