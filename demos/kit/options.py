"""A demo's slide options (``::: demo NAME key=value``), declared once and parsed in one call. No Streamlit here.

Each demo module declares what it accepts, with each option's type, default and range or choices::

    OPTIONS = declare(lr=number(0.15), steps=integer(80, 5, 300), act=choice(("tanh", "relu"), "tanh"),
                      hidden=flag(False), text=text("hello world"))

    def render(key_prefix: str = "neuron", **options: str) -> None:
        o = OPTIONS.parse(options)      # o.lr is a float, o.steps an int in 5..300, ...

Values arrive as strings. A value that does not parse falls back to the default; numbers are clamped to
their range; a choice matches case-insensitively; options a demo does not declare are ignored here (and
``python -m deck check`` names them).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Option:
    """One declared option. ``kind``: number | integer | choice | nearest | flag | text."""

    kind: str
    default: Any
    lo: float | None = None
    hi: float | None = None
    choices: tuple | Callable[[], Any] = ()

    def allowed(self) -> tuple:
        """The choices; a callable (a list that lives in ``models``, imported only when needed) is called."""
        return tuple(self.choices() if callable(self.choices) else self.choices)

    def parse(self, raw):
        """The typed value of a raw option (a string, or None when the slide does not give it)."""
        if raw is None:
            raw = self.default
        if self.kind == "number":
            return _number(raw, self.default, self.lo, self.hi)
        if self.kind == "integer":
            return int(round(_number(raw, self.default, self.lo, self.hi)))
        if self.kind == "nearest":  # the listed value closest to the number given
            v = _number(raw, self.default, None, None)
            return min(self.allowed(), key=lambda c: abs(c - v))
        if self.kind == "choice":
            v = str(raw).strip().lower()
            return next((c for c in self.allowed() if str(c).lower() == v), self.default)
        if self.kind == "flag":
            v = str(raw).strip().lower()
            return True if v in TRUE_WORDS else False if v in FALSE_WORDS else self.default
        return str(raw)  # text


def _number(raw, default, lo, hi) -> float:
    try:
        v = float(raw)
    except (TypeError, ValueError):
        v = float(default)
    if v != v:  # NaN
        v = float(default)
    if lo is not None:
        v = max(lo, v)
    if hi is not None:
        v = min(hi, v)
    return float(v)


def number(default: float, lo: float | None = None, hi: float | None = None) -> Option:
    """A float, clamped to [lo, hi]."""
    return Option("number", float(default), lo, hi)


def integer(default: int, lo: int | None = None, hi: int | None = None) -> Option:
    """A whole number (a decimal is rounded), clamped to [lo, hi]."""
    return Option("integer", int(default), lo, hi)


def nearest(values, default: float) -> Option:
    """The one of ``values`` nearest to the number given (a slider of fixed steps)."""
    return Option("nearest", default, choices=tuple(values))


def choice(choices, default) -> Option:
    """One of ``choices`` (case-insensitive), else ``default``. ``choices`` may be a function returning them."""
    return Option("choice", default, choices=choices if callable(choices) else tuple(choices))


def flag(default: bool) -> Option:
    """On/off: 1/true/yes/on or 0/false/no/off."""
    return Option("flag", bool(default))


def text(default: str = "") -> Option:
    """Any text, as given."""
    return Option("text", str(default))


class Parsed(dict):
    """The parsed options: ``o["lr"]`` or ``o.lr``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Options(dict):
    """A demo's declared options, name -> ``Option``; ``other``: the kind of any further name the demo
    accepts (autograd's variable values), else None."""

    def __init__(self, named: dict, other: Option | None = None):
        super().__init__(named)
        self.other = other

    def parse(self, options: dict) -> Parsed:
        """Every declared option's typed value from the slide's string ``options`` (undeclared ones ignored,
        or parsed as ``other``)."""
        got = Parsed({name: opt.parse(options.get(name)) for name, opt in self.items()})
        if self.other is not None:
            got.update({k: self.other.parse(v) for k, v in options.items() if k not in self and k != "key_prefix"})
        return got

    def unknown(self, options) -> list[str]:
        """The names in ``options`` this demo does not declare (``key_prefix`` is the engine's own)."""
        if self.other is not None:
            return []
        return [k for k in options if k not in self and k != "key_prefix"]


def declare(other: Option | None = None, **options: Option) -> Options:
    return Options(options, other)
