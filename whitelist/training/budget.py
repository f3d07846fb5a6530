"""A time budget for a whole ``train`` command, not only its tuning.

The budget counts from the moment the command started. Tuning gets what is left once the work
after it is set aside, and that work is estimated from what this machine has shown so far: the
work before tuning (reading the table, the folds' scorecards) takes about as long as the work
after it (the refits, the evaluation, the card, the registry), and the final cross-validated fit
of the chosen parameters about as long as the slowest trial. On a loaded machine everything is
slower, the estimates too, and the budget holds either way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TimeBudget:
    """``seconds`` for the whole command, counted from ``started`` (a ``time.monotonic`` reading)."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def tuning_deadline(self) -> float:
        """Called as tuning starts: the ``time.monotonic`` reading by which it must stop.

        What is left of the budget, less as long again as the command has taken so far.
        """
        elapsed = time.monotonic() - self.started
        return self.started + self.seconds - elapsed


def room_for_trial(deadline: float, slowest_trial: float) -> bool:
    """Whether one more trial and then the final fit, each as long as the slowest trial so far, end by ``deadline``."""
    return time.monotonic() + 2 * slowest_trial <= deadline
