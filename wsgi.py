"""Entry point for WSGI servers: ``gunicorn wsgi:app``."""

from straxlab import create_app

app = create_app()
