"""A real SMTP server on loopback (aiosmtpd) for tests that deliver mail.

Use the ``smtp_server`` fixture (``from tests.smtp import smtp_server`` in a test module or a
``conftest.py``), or :class:`SMTPServer` directly::

    def test_delivery(app, smtp_server):
        app.config.update(smtp_server.mail_config())
        ...                                  # run the outbox sender
        [message] = smtp_server.messages     # email.message.EmailMessage, policy=default
        assert message["Subject"] == "..."

``stop()`` and ``start()`` take the server down and bring it back on the same port, to test
what the sender does while SMTP is unreachable. Only 127.0.0.1 is ever used.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Delivery:
    """One message as the server received it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class _Handler:
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Addresses the server refuses at RCPT TO (a permanent 550), to test per-message failures.
    refuse: set[str] = field(default_factory=set)
    require_login: bool = False

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.require_login and not session.authenticated:
            return "530 5.7.0 Authentication required"
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        parsed = message_from_bytes(raw, policy=default)
        assert isinstance(parsed, EmailMessage)
        delivery = Delivery(str(envelope.mail_from), list(envelope.rcpt_tos), parsed, raw)
        with self.lock:
            self.deliveries.append(delivery)
        return "250 Message accepted for delivery"


class SMTPServer:
    """An aiosmtpd server on 127.0.0.1 that keeps what it receives; restartable on its port.

    ``login``: a ``(username, password)`` the server demands (AUTH PLAIN/LOGIN without TLS,
    acceptable on loopback only); any other credentials are refused.
    """

    def __init__(self, port: int | None = None, *, login: tuple[str, str] | None = None) -> None:
        self.host = HOST
        self.port = port or free_port()
        self.login = login
        self._handler = _Handler(require_login=login is not None)
        self._controller: Controller | None = None

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> SMTPServer:
        if self._controller is not None:
            return self
        kwargs: dict[str, Any] = {}
        if self.login is not None:
            # AUTH offered without TLS (loopback only); the handler refuses unauthenticated
            # senders itself: aiosmtpd's auth_required without TLS raises a warning.
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": False}
        controller = Controller(self._handler, hostname=self.host, port=self.port, **kwargs)
        # Right after a stop the port can still be held for a moment: try a few times.
        for attempt in range(50):
            try:
                controller.start()
                break
            except OSError:
                if attempt == 49:
                    raise
                controller = Controller(self._handler, hostname=self.host, port=self.port, **kwargs)
                time.sleep(0.05)
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening: connections to the port are refused until :meth:`start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what arrived ----------------------------------------------------------------------

    @property
    def deliveries(self) -> list[Delivery]:
        with self._handler.lock:
            return list(self._handler.deliveries)

    @property
    def messages(self) -> list[EmailMessage]:
        return [delivery.message for delivery in self.deliveries]

    def clear(self) -> None:
        with self._handler.lock:
            self._handler.deliveries.clear()

    def refuse(self, *addresses: str) -> None:
        """Refuse these recipients with a 550 from now on."""
        self._handler.refuse.update(addresses)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """The messages once at least ``count`` have arrived (delivery is synchronous for
        smtplib, so this rarely waits)."""
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.messages

    # -- configuration for the app ---------------------------------------------------------

    def mail_config(self, **overrides: Any) -> dict[str, Any]:
        """The ``MAIL_*`` settings that point the app at this server (no TLS: loopback)."""
        username, password = self.login or ("", "")
        return {
            "MAIL_SERVER": self.host,
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_USERNAME": username,
            "MAIL_PASSWORD": password,
            **overrides,
        }

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if (
            self.login is not None
            and isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.login[0]
            and auth_data.password.decode() == self.login[1]
        ):
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A running loopback SMTP server, stopped after the test."""
    server = SMTPServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., SMTPServer]]:
    """Builds extra servers (``login=...``, a fixed ``port=...``); all stopped after the test."""
    made: list[SMTPServer] = []

    def make(port: int | None = None, *, login: tuple[str, str] | None = None) -> SMTPServer:
        server = SMTPServer(port, login=login).start()
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()
