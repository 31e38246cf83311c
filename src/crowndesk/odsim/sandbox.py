"""The sandbox's state: configuration, the SQLite practice, the clock, throttle and faults."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from crowndesk.odsim import generator
from crowndesk.odsim.clock import SandboxClock
from crowndesk.odsim.faults import FaultInjector
from crowndesk.odsim.resources import DEF_CATEGORY_NAMES, Lookups
from crowndesk.odsim.schema import META_TABLE, TABLES

Mode = Literal["remote", "local", "service"]
Tier = Literal["read_all", "standard", "enterprise"]
TIER_INTERVAL: dict[str, float] = {"read_all": 5.0, "standard": 1.0, "enterprise": 0.5}
DEFAULT_START = datetime(2025, 6, 2, 8, 0, 0)  # noqa: DTZ001 - office wall clock, no zone
MMAP_BYTES = 2 << 30  # address space, not memory (SQLite caps it just under 2 GiB)


@dataclass(slots=True)
class SandboxConfig:
    patients: int = 200
    seed: int = 1
    developer_key: str = "odsim-developer"
    customer_key: str = "odsim-customer"
    extra_customer_keys: tuple[str, ...] = ()
    mode: Mode = "service"
    tier: Tier = "standard"
    throttle_scale: float = 1.0
    db_path: str | None = None
    start: datetime = DEFAULT_START
    ticking: bool = True
    years: int = 3
    require_content_type: bool = True
    queries_permission: bool = True
    fault_seed: int = 0

    @property
    def page_size(self) -> int:
        if self.mode == "remote":
            return 1000 if self.tier == "enterprise" else 100
        return 10_000 if self.tier == "enterprise" else 1000

    @property
    def throttle_interval(self) -> float | None:
        if self.mode != "remote":
            return None
        return TIER_INTERVAL[self.tier] * self.throttle_scale

    def public(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"] = self.start.isoformat(" ")
        d["page_size"] = self.page_size
        d["throttle_interval"] = self.throttle_interval
        return d


@dataclass(slots=True)
class KeyState:
    last_start: float = -1e18
    busy: int = 0


@dataclass(slots=True)
class Stats:
    requests: int = 0
    by_resource: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    rows_served: int = 0


class Sandbox:
    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.lock = threading.RLock()
        self.clock = SandboxClock(self.config.start, ticking=self.config.ticking)
        self.faults = FaultInjector(self.config.fault_seed)
        self.stats = Stats()
        self.keys: dict[str, KeyState] = {}
        self.generation_seconds = 0.0
        self.conn = self._open()
        self._snapshot: sqlite3.Connection | None = None
        self._lookups: Lookups | None = None
        self.advance_count = 0
        self._load_or_generate()

    # ------------------------------------------------------------- database
    def _open(self) -> sqlite3.Connection:
        path = self.config.db_path or ":memory:"
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # Read the file through a memory map: a deep page (LIMIT ... OFFSET 100000) steps
            # over thousands of pages, and copying each one in with a read() call costs about
            # as much again as the stepping.
            conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        return conn

    def _meta_key(self) -> str:
        c = self.config
        return f"v1:{c.seed}:{c.patients}:{c.years}:{c.start.isoformat()}"

    def _load_or_generate(self) -> None:
        c = self.config
        if c.db_path:
            try:
                row = self.conn.execute(
                    f"SELECT Value FROM {META_TABLE} WHERE Key='practice'"
                ).fetchone()
            except sqlite3.Error:
                row = None
            if row and row[0] == self._meta_key():
                off = self.conn.execute(
                    f"SELECT Value FROM {META_TABLE} WHERE Key='clock_offset'"
                ).fetchone()
                if off:
                    self.clock.set_offset(timedelta(seconds=float(off[0])))
                return
            self.conn.close()
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(c.db_path + suffix):
                    os.remove(c.db_path + suffix)
            self.conn = self._open()
        self._generate()

    def _generate(self) -> None:
        c = self.config
        result = generator.generate(self.conn, c.patients, c.seed, c.start, c.years)
        self.generation_seconds = result.seconds
        self.conn.execute(
            f"INSERT OR REPLACE INTO {META_TABLE} VALUES ('practice', ?)", (self._meta_key(),)
        )
        if not c.db_path:
            self._snapshot = sqlite3.connect(":memory:", check_same_thread=False)
            self.conn.backup(self._snapshot)

    def reset(self) -> None:
        """Back to the freshly generated practice, clock, no faults, no throttle history."""
        with self.lock:
            if self._snapshot is not None:
                self._snapshot.backup(self.conn)
            else:
                self.conn.close()
                assert self.config.db_path
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(self.config.db_path + suffix):
                        os.remove(self.config.db_path + suffix)
                self.conn = self._open()
                self._generate()
            self.clock.reset()
            self.faults.clear()
            self.keys.clear()
            self.stats = Stats()
            self._lookups = None
            self.advance_count = 0

    def save_clock(self) -> None:
        self.conn.execute(
            f"INSERT OR REPLACE INTO {META_TABLE} VALUES ('clock_offset', ?)",
            (str(self.clock.offset.total_seconds()),),
        )

    def invalidate_lookups(self) -> None:
        self._lookups = None

    def lookups(self) -> Lookups:
        if self._lookups is None:
            with self.lock:
                q = self.conn.execute
                self._lookups = {
                    "provabbr": dict(q("SELECT ProvNum, Abbr FROM provider").fetchall()),
                    "defname": dict(q("SELECT DefNum, ItemName FROM definition").fetchall()),
                    "proccode": dict(q("SELECT CodeNum, ProcCode FROM procedurecode").fetchall()),
                    "procdescript": dict(
                        q("SELECT CodeNum, Descript FROM procedurecode").fetchall()
                    ),
                    "referralname": {
                        n: (f"{ln}, {fn}" if fn else ln)
                        for n, ln, fn in q("SELECT ReferralNum, LName, FName FROM referral")
                    },
                    "defcategory": dict(DEF_CATEGORY_NAMES),
                }
        return self._lookups

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {t: self.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}

    # ------------------------------------------------------------- auth and throttle
    def valid_key(self, developer: str, customer: str) -> bool:
        c = self.config
        return developer == c.developer_key and (
            customer == c.customer_key or customer in c.extra_customer_keys
        )

    def throttle_enter(self, customer: str) -> float | None:
        """None when the request may run; otherwise the seconds the client must wait."""
        interval = self.config.throttle_interval
        if interval is None:
            return None
        now = time.monotonic()
        with self.lock:
            st = self.keys.setdefault(customer, KeyState())
            wait = st.last_start + interval - now
            if st.busy or wait > 0:
                self.stats.throttled += 1
                return max(wait, interval if st.busy else 0.0, 0.001)
            st.last_start = now
            st.busy += 1
        return None

    def throttle_exit(self, customer: str) -> None:
        if self.config.throttle_interval is None:
            return
        with self.lock:
            st = self.keys.get(customer)
            if st is not None and st.busy:
                st.busy -= 1

    def stats_dict(self) -> dict[str, Any]:
        s = self.stats
        return {
            "serverDateTime": self.clock.now_str(),
            "clockOffsetSeconds": self.clock.offset.total_seconds(),
            "config": self.config.public(),
            "generationSeconds": round(self.generation_seconds, 3),
            "requests": s.requests,
            "byResource": dict(s.by_resource),
            "byStatus": dict(s.by_status),
            "throttled": s.throttled,
            "rowsServed": s.rows_served,
            "faultsFired": dict(self.faults.fired),
            "advances": self.advance_count,
            "rows": self.counts(),
        }
