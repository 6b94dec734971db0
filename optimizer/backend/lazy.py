"""Packages that load their modules on first use: importing ``optimizer.analyses``
(or ``backend``, ``runs``, ``reports``) stays cheap and cannot close an import circle."""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable


def lazy_attributes(package: str, home: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: a public name listed in ``home``
    (name -> module of the package) is read from its module, imported on first use."""

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{home[name]}"), name)

    return __getattr__
