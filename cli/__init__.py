"""Command-line layer: click commands that format what the optimizer returns.

No importable API: the console script is ``cli.entry:main``, the group ``cli.main.main``.
"""

__all__: list[str] = []
