"""When a registered entity is in business: one rule, read by the features and by scoring.

The registry holds each entity's *current* status and, once it ended, the date (revoked or
cancelled). At a cutoff an entity is in business when its status is active, or when it ended
after the cutoff. An ended entity without a date is taken as ended at every cutoff: the registry
says it is out of business and does not say since when, so neither a training population nor a
scan may count it as a going concern.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

ACTIVE = "active"
"""The registry status of an entity in business (``contract`` declares the others)."""


def in_business_sql(status: str, ended: str, cutoff: str) -> str:
    """SQL: true when the entity with ``status`` and end date ``ended`` was in business at ``cutoff``."""
    return f"({status} = '{ACTIVE}' OR COALESCE({ended} > {cutoff}, false))"


def in_business(status: pd.Series, ended: pd.Series, cutoff: date) -> np.ndarray:
    """The same rule over a registry frame's columns: a boolean per row."""
    later = pd.to_datetime(ended) > pd.Timestamp(cutoff)
    return ((status == ACTIVE).fillna(False) | later.fillna(False)).to_numpy(dtype=bool)
