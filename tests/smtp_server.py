"""A real local SMTP server (aiosmtpd) for the e-mail tests: an inbox that keeps every message (or refuses
some on purpose), a free port, and the `smtp` fixture's body, shared by the notification and survey tests."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Inbox:
    """An aiosmtpd handler keeping every message; `refuse` answers that many DATA commands with 451, and
    `refuse_to` refuses every message to these addresses (550); `arrived` is set by the first message. It keeps each message as received, (the
    envelope's recipients, the bytes), in `raw`, and parses them on first use of `messages`: parsing with
    the modern policy on the server's thread would slow every sender in the same process."""

    def __init__(self) -> None:
        self.raw: list[tuple[tuple[str, ...], bytes]] = []
        self.refuse = 0
        self.refuse_to: set[str] = set()
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        self._parsed: list[EmailMessage] = []
        self._seen = 0

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received so far, parsed (clearing this list forgets those received until then)."""
        with self.lock:
            fresh, self._seen = self.raw[self._seen :], len(self.raw)
        for _, content in fresh:
            message = email.message_from_bytes(content, policy=default)
            assert isinstance(message, EmailMessage)
            self._parsed.append(message)
        return self._parsed

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 mailbox busy, try again later"
            if self.refuse_to.intersection(envelope.rcpt_tos):
                return "550 5.1.1 mailbox unavailable"
            self.raw.append((tuple(envelope.rcpt_tos), envelope.content))
            self.arrived.set()
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def subjects(self, address: str) -> list[str]:
        """The subjects of the e-mails to `address` (unfolded), in the order received."""
        return [" ".join(str(m["Subject"]).split()) for m in self.to(address)]


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 and a free port, with its inbox, while the block runs."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
