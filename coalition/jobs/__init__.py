"""Background work: the job queues the worker runs (``tasks``) and the outbox of mail."""
