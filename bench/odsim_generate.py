"""Time to generate a practice with full history (default 10,000 patients).

.venv/bin/python bench/odsim_generate.py [patients] [seed]
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime

from crowndesk.odsim.generator import generate


def out(line: str) -> None:
    sys.stdout.write(line + "\n")


def main() -> None:
    patients = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    conn = sqlite3.connect(":memory:")
    result = generate(conn, patients, seed, datetime(2025, 6, 2, 8, 0, 0))  # noqa: DTZ001
    rows = sum(result.rows.values())
    out(f"patients            {patients}")
    out(f"rows                {rows}")
    out(f"seconds             {result.seconds:.2f}")
    out(f"rows/s              {rows / result.seconds:,.0f}")
    for table, n in sorted(result.rows.items(), key=lambda kv: -kv[1])[:8]:
        out(f"  {table:<18}{n}")


if __name__ == "__main__":
    main()
