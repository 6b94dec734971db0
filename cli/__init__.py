"""Command-line layer: click commands that format what the optimizer returns."""
