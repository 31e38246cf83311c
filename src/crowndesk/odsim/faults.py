"""Faults on demand, per resource, as a rate or a number of shots.

Kinds: ``429`` (with ``Retry-After``), ``400`` (the eConnector-is-down answer), ``500``,
``503``, ``504``, ``slow`` (answer after ``delay`` seconds), ``drop`` (the connection is cut
half-way through the body), ``malformed`` (records with a missing key, an impossible date or
bad money), ``shift`` (rows change while a client pages: the page starts ``shift`` rows later
than asked, as if earlier rows were deleted, or earlier when negative, as if rows were
inserted; the skipped rows get their timestamps bumped so a later changed-since read finds them).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

TERMINAL = frozenset({"429", "400", "500", "503", "504", "drop"})
KINDS = TERMINAL | {"slow", "malformed", "shift"}
BAD_DATES = ["2023-02-30", "0000-00-00", "2021-13-01", "not a date"]
BAD_MONEY = ["12.3.4", "NaN", "$1,000.00", ""]


@dataclass(slots=True)
class FaultRule:
    kind: str
    resource: str = "*"
    rate: float | None = None
    count: int | None = None
    delay: float = 1.0
    retry_after: float = 1.0
    shift: int = 1
    malformed: str = "any"  # missing | date | money | any
    fired: int = 0
    id: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    def __init__(self, seed: int = 0) -> None:
        self.rules: list[FaultRule] = []
        self.rng = random.Random(seed)
        self._lock = threading.Lock()
        self._next_id = 1
        self.fired: dict[str, int] = {}

    def add(self, rule: FaultRule) -> FaultRule:
        if rule.kind not in KINDS:
            raise ValueError(f"unknown fault kind {rule.kind!r}; one of {sorted(KINDS)}")
        if rule.rate is None and rule.count is None:
            rule.count = 1
        if rule.rate is not None and not 0 <= rule.rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        with self._lock:
            rule.id = self._next_id
            self._next_id += 1
            self.rules.append(rule)
        return rule

    def clear(self, resource: str | None = None) -> None:
        with self._lock:
            self.rules = [r for r in self.rules if resource is not None and r.resource != resource]

    def draw(self, resource: str) -> list[FaultRule]:
        """The rules that fire for one request (at most one terminal one)."""
        out: list[FaultRule] = []
        terminal = False
        with self._lock:
            for rule in list(self.rules):
                if rule.resource not in ("*", resource):
                    continue
                if rule.kind in TERMINAL and terminal:
                    continue
                if rule.count is not None:
                    if rule.count <= 0:
                        continue
                    rule.count -= 1
                    if rule.count == 0 and rule.rate is None:
                        self.rules.remove(rule)
                elif rule.rate is not None and self.rng.random() >= rule.rate:
                    continue
                rule.fired += 1
                self.fired[rule.kind] = self.fired.get(rule.kind, 0) + 1
                terminal = terminal or rule.kind in TERMINAL
                out.append(rule)
        return out

    def corrupt(self, rows: list[dict[str, Any]], rule: FaultRule) -> None:
        """Spoil one record of the page (or each record with the rule's rate, if any)."""
        if not rows:
            return
        targets = [r for r in rows if self.rng.random() < (rule.rate or 0)] or [
            rows[self.rng.randrange(len(rows))]
        ]
        for row in targets:
            how = rule.malformed
            if how == "any":
                how = self.rng.choice(["missing", "date", "money"])
            keys = list(row.keys())
            if how == "date":
                dates = [
                    k
                    for k, v in row.items()
                    if isinstance(v, str) and len(v) >= 10 and v[4:5] == "-" and v[7:8] == "-"
                ]
                if dates:
                    row[self.rng.choice(dates)] = self.rng.choice(BAD_DATES)
                    continue
            if how == "money":
                money = [
                    k
                    for k, v in row.items()
                    if isinstance(v, float) or k in ("ProcFee", "PayAmt", "CheckAmt")
                ]
                if money:
                    row[self.rng.choice(money)] = self.rng.choice(BAD_MONEY)
                    continue
            victims = keys[1:] or keys
            row.pop(self.rng.choice(victims), None)
