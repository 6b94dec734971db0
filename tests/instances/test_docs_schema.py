"""The instance-format reference documents every field the schema declares."""

from pathlib import Path

from instances.schema import SCHEMAS

DOC = Path(__file__).parents[2] / "docs" / "instance-format.md"


def test_every_schema_field_is_documented() -> None:
    text = DOC.read_text()
    missing = [f"{schema}.{key}" for schema, fields in SCHEMAS.items() for key in fields if f"| `{key}` |" not in text]
    assert missing == []
