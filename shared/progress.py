"""Is a follower (the relay behind the store, a consumer behind its topic) stuck?

Being behind is normal under load; being behind *and not moving* is not. ``Progress``
remembers when the follower's mark last changed (or it last caught up) and calls it stalled
when it is behind and has not moved for ``stall_after_s`` seconds. Time comes in as an
argument (a monotonic clock), so the rule is a plain function of what was observed.
"""

from dataclasses import dataclass


@dataclass
class Progress:
    stall_after_s: float
    _mark: int | None = None
    _moved_at: float | None = None

    def observe(self, mark: int, behind: int, now: float) -> bool:
        """Record the follower's ``mark`` and how far ``behind`` it is at ``now``;
        returns whether it is stalled."""
        if self._moved_at is None or mark != self._mark or behind <= 0:
            self._mark, self._moved_at = mark, now
        return behind > 0 and now - self._moved_at >= self.stall_after_s
