"""Throttle for re-ranking while a slider is dragged."""
from __future__ import annotations

import threading
from typing import Callable


class Debouncer:
    """Calls `func` at most once per `delay` seconds, always with the latest state.

    The first call starts a timer; calls until it fires are absorbed, so a slider drag
    re-ranks a few times a second instead of once per pixel. ``delay=0`` calls at once
    (tests use it); `flush` runs a pending call now.
    """

    def __init__(self, func: Callable[[], None], delay: float,
                 on_error: Callable[[BaseException], None] | None = None):
        self.func, self.delay, self.on_error = func, delay, on_error
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def __call__(self) -> None:
        if self.delay <= 0:
            self._run()
            return
        with self._lock:
            if self._timer is None:
                self._timer = threading.Timer(self.delay, self._fire)
                self._timer.daemon = True
                self._timer.start()

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def flush(self) -> None:
        """Run the pending call now (no-op when nothing is pending)."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
            self._run()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
        self._run()

    def _run(self) -> None:
        try:
            self.func()
        except Exception as exc:  # a timer thread has no caller to raise to
            if self.on_error is None:
                raise
            self.on_error(exc)
