"""Background jobs: reminders, overdue notices, upkeep and the outbox sender.

Each job is a plain function ``job(now) -> count`` that catches up on everything due at
``now`` and is safe to run twice (``registry.JOBS``). ``scheduler`` runs them in their own
process (``flask --app straxlab jobs``), ``dev`` inside the development server; ``lock``
makes sure only one scheduler runs them at a time.
"""
