"""Print the field tables of docs/instance-format.md from instances/schema.py.

    python docs/instance_tables.py > /tmp/tables.md   # then paste under "## Fields"
    python docs/instance_tables.py --workbook          # the sheet tables of "## Workbooks"
"""

import sys

from instances.schema import SCHEMAS
from instances.sheets import FIELD_SHEETS, TABLES
from instances.xlsx import growth_header

TITLES = {
    "instance": "Top level", "horizon": "`horizon`", "markets": "`markets`", "asic_model": "`markets.asic_models[]` (v2)",
    "site": "`sites[]`", "price_tier": "`sites[].power_price_tiers[]` (v2)",
    "mining": "`sites[].mining`", "ai": "`sites[].ai`", "finance": "`finance`",
    "terminal": "`finance.terminal`", "facility": "`finance.debt[]`", "scenario": "`scenarios[]`",
    "risk": "`risk` (extension)", "scenario_model": "`scenario_model` (extension)",
}


def requirement(f) -> str:
    if f.required:
        return "required"
    if f.default is None:
        return "optional"
    if isinstance(f.default, bool):
        return "default " + str(f.default).lower()
    if isinstance(f.default, (int, float)):
        return f"default {f.default:g}"
    if f.default == {}:
        return "default {}"
    return f'default "{f.default}"'


def main() -> None:
    for name, fields in SCHEMAS.items():
        print(f"\n### {TITLES.get(name, '`' + name + '`')}\n")
        print("| field | kind | unit | required / default | rule |")
        print("|---|---|---|---|---|")
        for key, f in fields.items():
            rule = f.rule.text if f.kind in ("number", "integer", "series") and f.rule.text != "a number" else ""
            if f.choices:
                rule = "one of " + ", ".join(map(str, f.choices))
            kind = f.kind + (f" (see {TITLES.get(f.schema, f.schema)})" if f.schema and f.kind in ("list", "object") else "")
            print(f"| `{key}` | {kind} | {f.unit} | {requirement(f)} | {rule} |")


def workbook() -> None:
    """One table per sheet of an instance workbook (instances/sheets.py)."""
    for sheet in FIELD_SHEETS + TABLES:
        kind = "one row per field" if sheet.layout == "fields" else "one row per item"
        print(f"\n#### `{sheet.name}` ({kind}{', required' if sheet.required else ''})\n")
        print(sheet.about + "\n")
        print(f"| {'field' if sheet.layout == 'fields' else 'column'} | JSON | kind | unit | default |")
        print("|---|---|---|---|---|")
        for c in sheet.columns:
            where = ".".join(c.path) if sheet.layout == "fields" else c.key
            growth = f" (growth: `{growth_header(c.key, 'start')}`, ...)" if c.kind == "series" and sheet.layout == "table" else ""
            print(f"| `{c.key}`{growth} | `{where}` | {c.kind} | {c.unit} | {c.default} |")


if __name__ == "__main__":
    workbook() if "--workbook" in sys.argv else main()
