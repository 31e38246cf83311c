"""The office server's clock: a fixed start, moved by ``advance`` and (optionally) ticking in
real time, so that ``serverDateTime`` and the row stamps come from one clock."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

DT_FORMAT = "%Y-%m-%d %H:%M:%S"


class SandboxClock:
    def __init__(self, start: datetime, ticking: bool = True) -> None:
        self.start = start.replace(microsecond=0)
        self.ticking = ticking
        self._offset = timedelta(0)
        self._t0 = time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            elapsed = (
                timedelta(seconds=time.monotonic() - self._t0) if self.ticking else timedelta(0)
            )
            return (self.start + self._offset + elapsed).replace(microsecond=0)

    def now_str(self) -> str:
        return self.now().isoformat(" ", "seconds")

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()

    def set_offset(self, offset: timedelta) -> None:
        with self._lock:
            self._offset = offset
            self._t0 = time.monotonic()

    @property
    def offset(self) -> timedelta:
        return self._offset

    def reset(self) -> None:
        self.set_offset(timedelta(0))
