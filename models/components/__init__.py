"""Constraint and expression rules, one module per concern.

Each rule's docstring states its formula in SPEC notation. ``models/model.py``
declares the components and points each at its rule here.
"""

__all__ = ["common", "finance", "objective", "operations", "retrofits"]
