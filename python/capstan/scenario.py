"""Scenarios: load and validate a scenario file or dict; turn overrides into --set strings."""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any, Union

from capstan import _core

DICT_SOURCE = "<dict>"


class Scenario:
    """A validated scenario.

    Made by `load()`. Holds the scenario as it was given (`text`, the JSON that
    runs send to the simulator), the name errors use for it (`source`: the file
    path, or ``"<dict>"``), overrides applied on top (`overrides`, ``key.path=value``
    strings) and the canonical JSON after validation (`json`; `to_dict()` parses it).
    A Scenario is an immutable value: runs never change it.
    """

    __slots__ = ("_text", "_source", "_overrides", "_canonical", "_path", "_fixups")

    def __init__(self, text: str, source: str, canonical: str, overrides: tuple[str, ...] = (), path: str | None = None,
                 fixups: tuple[str, ...] = ()):
        self._text = text
        self._source = source
        self._canonical = canonical
        self._overrides = tuple(overrides)
        self._path = path
        self._fixups = tuple(fixups)

    @property
    def text(self) -> str:
        """The scenario JSON as given (file contents or the serialized dict), before overrides."""
        return self._text

    @property
    def source(self) -> str:
        """The name that error messages give the scenario: its path, or ``"<dict>"``."""
        return self._source

    @property
    def path(self) -> str | None:
        """The file the scenario was read from, or None for a dict."""
        return self._path

    @property
    def overrides(self) -> tuple[str, ...]:
        """Overrides applied on top of `text`, as ``key.path=value`` strings."""
        return self._overrides

    @property
    def json(self) -> str:
        """The canonical JSON of the scenario after overrides, as validation returned it."""
        return self._canonical

    def to_dict(self) -> dict:
        """The canonical scenario as a fresh dict (changing it changes nothing here)."""
        return json.loads(self._canonical)

    @property
    def name(self) -> str:
        """The scenario's ``name`` field ("" when it has none)."""
        return str(self.to_dict().get("name", ""))

    @property
    def description(self) -> str:
        """The scenario's ``description`` field ("" when it has none)."""
        return str(self.to_dict().get("description", ""))

    def with_overrides(self, set: Mapping[str, Any] | Iterable[str] | None = None) -> "Scenario":
        """A new Scenario with more overrides (validated); this one is unchanged."""
        extra = overrides_from(set)
        return _validated(self._text, self._source, self._overrides + extra, self._path, self._fixups)

    def run_overrides(self, set: Mapping[str, Any] | Iterable[str] | None = None) -> list[str]:
        """Everything a run of `text` applies, in order: the scenario's own fixes (relative profile paths made
        absolute, since `text` no longer sits beside its file), its `overrides`, then `set`."""
        return list(self._fixups + self._overrides + overrides_from(set))

    def __repr__(self) -> str:
        label = self.name or self._source
        more = f", {len(self._overrides)} overrides" if self._overrides else ""
        return f"<capstan.Scenario {label!r} from {self._source!r}{more}>"


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays, which notebooks hand us all the time.
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json_value(value: Any) -> str:
    """One override value as JSON text: 50000 -> '50000', "nearest" -> '"nearest"'."""
    return json.dumps(value, default=_json_default, allow_nan=False)


def overrides_from(set: Mapping[str, Any] | Iterable[str] | None) -> tuple[str, ...]:
    """Overrides as ``key.path=value`` strings, from a dict {key.path: value} or strings already in that form.

    Dict values are written as JSON, so a Python string stays a string and a
    number stays a number whatever it looks like.
    """
    if set is None:
        return ()
    if isinstance(set, Mapping):
        out = []
        for key, value in set.items():
            if not isinstance(key, str) or not key:
                raise TypeError(f"override keys are 'key.path' strings, got {key!r}")
            out.append(f"{key}={to_json_value(value)}")
        return tuple(out)
    if isinstance(set, str):
        raise TypeError("set= takes a dict {'key.path': value} or a list of 'key.path=value' strings, not one string")
    out = []
    for item in set:
        if not isinstance(item, str):
            raise TypeError(f"overrides are 'key.path=value' strings, got {item!r}")
        out.append(item)
    return tuple(out)


def _validated(text: str, source: str, overrides: tuple[str, ...], path: str | None,
               fixups: tuple[str, ...] = ()) -> Scenario:
    canonical = _core.validate(text=text, source=source, overrides=list(fixups + overrides))
    return Scenario(text, source, canonical, overrides, path, fixups)


def _profile_fixups(text: str, path: str) -> tuple[str, ...]:
    # A file resolves the relative paths it names (calibration profiles, request traces, spot availability
    # traces) against its own directory; the text we run has no directory, so such paths become absolute
    # overrides.
    doc = json.loads(text)
    base = os.path.dirname(os.path.abspath(path))
    out = []

    def fix(key: str, value: Any) -> None:
        if isinstance(value, str) and value and not os.path.isabs(value):
            out.append(f"{key}={to_json_value(os.path.join(base, value))}")

    def items(parent: Any, name: str) -> list:
        value = parent.get(name) if isinstance(parent, dict) else None
        return value if isinstance(value, list) else []

    def field(parent: Any, *names: str) -> Any:
        for name in names:
            parent = parent.get(name) if isinstance(parent, dict) else None
        return parent

    for i, deployment in enumerate(items(doc, "deployments")):
        fix(f"deployments.{i}.profile", field(deployment, "profile"))
    for i, cls in enumerate(items(doc, "classes")):
        fix(f"classes.{i}.trace.file", field(cls, "trace", "file"))
    for i, site in enumerate(items(doc, "sites")):
        for j, pool in enumerate(items(site, "pools")):
            fix(f"sites.{i}.pools.{j}.interruptions.file", field(pool, "interruptions", "file"))
    return tuple(out)


def load(scenario: Union[str, os.PathLike, Mapping, Scenario], set: Mapping[str, Any] | Iterable[str] | None = None) -> Scenario:
    """Load and validate a scenario.

    `scenario` is a path to a scenario JSON file, a dict with the same content
    (serialized to JSON; errors name it ``"<dict>"``), or a Scenario (returned
    as is, or with `set` applied on top). `set` holds overrides, ``{"key.path": value}``
    as the CLI's ``--set key.path=value`` takes them.

    Raises capstan.ScenarioError, whose message is the CLI's (file, JSON
    pointer, what was expected, what was found; one line per error, every
    error the file has found in one pass) and whose attributes `file`,
    `pointer`, `expected` and `found` hold the first error's parts and
    `errors` all of them, as dicts {pointer, expected, found}.
    """
    overrides = overrides_from(set)
    if isinstance(scenario, Scenario):
        return scenario.with_overrides(overrides) if overrides else scenario
    if isinstance(scenario, Mapping):
        text = json.dumps(scenario, default=_json_default, indent=1)
        return _validated(text, DICT_SOURCE, overrides, None)
    if isinstance(scenario, (str, os.PathLike)):
        path = os.fspath(scenario)
        # Validate from the file first, so that a missing or unreadable file gets the CLI's message.
        _core.validate(path=path, overrides=list(overrides))
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        return _validated(text, path, overrides, path, _profile_fixups(text, path))
    raise TypeError(f"load() takes a path, a dict or a Scenario, not {type(scenario).__name__}")
