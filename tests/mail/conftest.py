"""The loopback SMTP server fixtures (tests/smtp.py) for the mail tests."""

from tests.smtp import smtp_server, smtp_server_factory  # noqa: F401
