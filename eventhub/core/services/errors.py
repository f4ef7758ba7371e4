"""The one refusal style of the services.

A service that will not do what it was asked (the event is full, attendance is closed, the
team name is taken) raises a subclass of :class:`Refused`, flushes nothing further, and lets
the view roll back and say why: ``message`` is the reason in the reader's words (some
refusals also carry a machine-readable ``reason``). Views and the web toolkit's action tail
catch :class:`Refused`; a bug is any other exception.
"""

from __future__ import annotations


class Refused(Exception):
    """Base of every service refusal; ``message`` says why."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""
