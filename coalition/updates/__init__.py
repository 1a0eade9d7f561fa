"""Updates to allies: an owner writes, the worker mails each approved ally who opted in, at a
measured pace, with a one-click unsubscribe (RFC 8058)."""
