"""Regenerate the workbooks saved by LibreOffice (needs ``soffice`` on the PATH).

    python tests/data/xlsx/make_libreoffice.py

libreoffice_default.xlsx: the SPEC v1 default instance (tests/data/default_v1.json,
the embedded default before it became a SPEC v2 instance) written by ``instances.xlsx``, with
Finance's initial_cash_usd typed as the formula ``=2*200000000`` (no saved value in
the file openpyxl writes), then opened and saved by ``soffice --headless
--convert-to xlsx``: LibreOffice computes the formula and saves its value, and
writes booleans as ``=TRUE()`` / ``=FALSE()`` formulas with saved values.
libreoffice_public_v2_009.xlsx: reference case public_v2_009 (power tiers, a CSV
series, ASIC models, scenarios) the same way.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl

from instances.xlsx import write_workbook

HERE = Path(__file__).parent
V2 = HERE.parent / "reference" / "v2"
V1_DEFAULT = HERE.parent / "default_v1.json"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        default = tmp / "libreoffice_default.xlsx"
        write_workbook(json.loads(V1_DEFAULT.read_text()), default)
        wb = openpyxl.load_workbook(default)
        ws = wb["Finance"]
        row = next(r for r in ws.iter_rows(min_row=2) if str(r[0].value).startswith("initial_cash_usd"))
        assert row[1].value == 400_000_000
        row[1].value = "=2*200000000"
        wb.save(default)
        case = tmp / "libreoffice_public_v2_009.xlsx"
        write_workbook(json.loads((V2 / "public_v2_009.json").read_text()), case, base_dir=V2)
        out = tmp / "out"
        subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(default), str(case)],
                       check=True, env={"HOME": str(tmp), "PATH": "/usr/bin:/bin"})
        for name in (default.name, case.name):
            shutil.copy(out / name, HERE / name)


if __name__ == "__main__":
    main()
