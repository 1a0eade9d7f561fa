"""GET parameters that people type, bookmark and paste into other sites, read with a message
for each one at fault: the machinery under ``coalition.wall.queries`` (which allies) and
``coalition.wall.looks`` (how they look).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from coalition.web.languages import LANGUAGE_CODES

# More digits than this name no page and no number of anything; Python would not even read
# thousands of them.
_MAX_DIGITS = 18
# A value quoted back in a message is cut to this length.
_SHOWN_LENGTH = 20


@dataclass(frozen=True)
class Parameter:
    """One GET parameter: its name, its other spellings, how a page names it, and its values
    as JSON Schema (what the API documents)."""

    name: str
    label: Any
    schema: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class QueryError(ValueError):
    """Parameters with values that name no query: ``problems`` maps each parameter at fault to
    what is wrong with it; ``labels`` names the parameters as a page shows them."""

    def __init__(self, problems: Mapping[str, str], *, labels: Mapping[str, Any]) -> None:
        super().__init__(dict(problems))
        self.problems = dict(problems)
        self.labels = dict(labels)

    @classmethod
    def combine(cls, errors: Iterable[QueryError]) -> QueryError:
        problems: dict[str, str] = {}
        labels: dict[str, Any] = {}
        for error in errors:
            problems.update(error.problems)
            labels.update(error.labels)
        return cls(problems, labels=labels)

    def lines(self) -> list[str]:
        """Every problem as one sentence naming the parameter, for the message on a page."""
        return [
            _("%(label)s: %(message)s") % {"label": self.labels.get(name, name), "message": message}
            for name, message in self.problems.items()
        ]


def shown(value: str) -> str:
    """A value as a message quotes it back: cut short when long."""
    return value if len(value) <= _SHOWN_LENGTH else f"{value[:_SHOWN_LENGTH]}…"


def whole_number(raw: str) -> int | None:
    """``raw`` as an integer if it is written as one in ASCII digits, with an optional minus."""
    digits = raw[1:] if raw.startswith("-") else raw
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    digits = digits.lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS:
        return None
    return -int(digits) if raw.startswith("-") else int(digits)


_SHOW = {"1", "true", "yes", "on"}
_HIDE = {"0", "false", "no", "off"}


def flag(raw: str, *, true: Collection[str], false: Collection[str]) -> bool | None:
    """``True`` for a value among ``true``, ``False`` among ``false`` (in any case), else None."""
    value = raw.strip().lower()
    if value in true:
        return True
    if value in false:
        return False
    return None


class Reader:
    """Reads parameters from a ``QueryDict`` (or a plain mapping) and gathers their problems, so
    that every parameter at fault is named at once."""

    def __init__(self, params: Any, parameters: Mapping[str, Parameter]) -> None:
        self.params = params
        self.parameters = parameters
        self.problems: dict[str, str] = {}

    def _list(self, name: str) -> list[str]:
        if hasattr(self.params, "getlist"):
            return self.params.getlist(name)
        value = self.params.get(name)
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)

    def values(self, name: str) -> list[str]:
        """Every value given, repeated (``?x=a&x=b``), comma-separated (``?x=a,b``) or both."""
        return [
            part.strip()
            for spelling in self.parameters[name].spellings
            for value in self._list(spelling)
            for part in value.split(",")
            if part.strip()
        ]

    def language(self, name: str) -> str | None:
        """The language of the site (``settings.LANGUAGES``) given as ``name``, or None; any
        other value is a problem."""
        given = self.value(name)
        if given is None:
            return None
        code = given[1].lower()
        if code in LANGUAGE_CODES:
            return code
        self.problem(
            name, _("“%(value)s” is not a language of this site.") % {"value": shown(given[1])}
        )
        return None

    def choice(self, name: str, choices: Collection[str], message: str) -> str | None:
        """The value given as ``name`` when it is one of ``choices`` (a theme), or None when
        absent; any other value is a problem, said by ``message``."""
        given = self.value(name)
        if given is None:
            return None
        if given[1] in choices:
            return given[1]
        self.problem(name, message)
        return None

    def shown_or_hidden(self, name: str) -> bool | None:
        """Whether ``name`` asks to show (``1``, ``true``, ``yes``, ``on``) or to hide (``0``,
        ``false``, ``no``, ``off``) something, or None when not given; any other value is a
        problem. Every look that is on or off (an embed's names and count, the letter's logos)
        reads it here."""
        given = self.value(name)
        if given is None:
            return None
        value = flag(given[1], true=_SHOW, false=_HIDE)
        if value is None:
            self.problem(name, _("Use 1 to show or 0 to hide."))
        return value

    def value(self, name: str) -> tuple[str, str] | None:
        """The spelling used and its value, stripped; ``None`` when absent or empty. Given more
        than once, the last value counts, as everywhere in Django."""
        given = {}
        for spelling in self.parameters[name].spellings:
            values = self._list(spelling)
            if values and values[-1].strip():
                given[spelling] = values[-1].strip()
        if len(set(given.values())) > 1:
            first, second = list(given)[:2]
            self.problem(
                name,
                _("Give “%(first)s” or “%(second)s”, not both.")
                % {"first": first, "second": second},
            )
            return None
        return next(iter(given.items()), None)

    def problem(self, name: str, message: str) -> None:
        self.problems.setdefault(name, str(message))

    def check(self) -> None:
        if self.problems:
            labels = {name: self.parameters[name].label for name in self.problems}
            raise QueryError(self.problems, labels=labels)
