"""The outbox: mail is written in the transaction that causes it, then sent by a job."""
