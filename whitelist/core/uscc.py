"""Unified social credit codes (GB 32100-2015): the key of every government source.

An 18-character code: registration authority (1), entity category (1), administrative
division (6), organisation code (9, itself with a GB 11714 check character) and a check
character over the first 17 positions, with weights 3^i mod 31 over the 31-character
alphabet below (no I, O, S, V, Z). The scalar functions serve parsers and tests; the
vectorised ones serve the generator, which makes millions of codes at once.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters a USCC may contain, in value order (value = index)."""

WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
"""Weight of positions 1..17: 3^(i-1) mod 31 (1, 3, 9, 27, 19, 26, ...)."""

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def check_character(body: str) -> str:
    """Return the check character for the first 17 characters of a code.

    Raises ``ValueError`` when ``body`` is not 17 characters of the USCC alphabet.
    """
    if len(body) != 17:
        raise ValueError(f"a USCC body has 17 characters, got {len(body)} in {body!r}")
    try:
        total = sum(_VALUE[ch] * w for ch, w in zip(body, WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(
            f"{body!r} holds {exc.args[0]!r}, which is not in the USCC alphabet {ALPHABET!r}"
        ) from None
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: object) -> bool:
    """True when ``code`` is an 18-character USCC whose check character matches."""
    if not isinstance(code, str) or len(code) != 18:
        return False
    if any(ch not in _VALUE for ch in code):
        return False
    return check_character(code[:17]) == code[17]


def problem(code: object) -> str | None:
    """Say what is wrong with a code, or None when it is valid (for quarantine reasons)."""
    if code is None or (isinstance(code, float) and code != code):
        return "missing"
    if not isinstance(code, str):
        return f"not text: {code!r}"
    if len(code) != 18:
        return f"has {len(code)} characters, expected 18"
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return f"characters {''.join(bad)!r} are outside the USCC alphabet"
    expected = check_character(code[:17])
    if expected != code[17]:
        return f"check character is {code[17]!r}, expected {expected!r}"
    return None


def org_check_character(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body ('0'-'9' or 'X')."""
    total = sum(_org_value(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


# ---------------------------------------------------------------- vectorised (generator)

_ALPHA_BYTES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
_WEIGHT_ARRAY = np.array(WEIGHTS, dtype=np.int64)
_ORG_WEIGHT_ARRAY = np.array(_ORG_WEIGHTS, dtype=np.int64)
_ORG_VALUES = np.array([_org_value(ch) for ch in ALPHABET], dtype=np.int64)


def make_codes(
    authority: np.ndarray, category: np.ndarray, division: np.ndarray, serial: np.ndarray
) -> np.ndarray:
    """Build valid codes from their parts, one per row, as a numpy array of ``str``.

    ``authority`` and ``category`` are single USCC characters, ``division`` 6-digit codes
    and ``serial`` distinct integers below 31**8 that become the organisation code body.
    """
    n = len(serial)
    values = np.empty((n, 17), dtype=np.int64)
    values[:, 0] = _values_of(authority)
    values[:, 1] = _values_of(category)
    div = np.asarray(division, dtype=np.int64)
    for k in range(6):
        values[:, 2 + k] = (div // 10 ** (5 - k)) % 10
    s = np.asarray(serial, dtype=np.int64)
    for k in range(8):
        values[:, 8 + k] = (s // 31 ** (7 - k)) % 31
    org = (_ORG_VALUES[values[:, 8:16]] * _ORG_WEIGHT_ARRAY).sum(axis=1)
    oc = 11 - org % 11
    values[:, 16] = np.where(oc == 10, _VALUE["X"], np.where(oc == 11, 0, oc))
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, :17] = _ALPHA_BYTES[values]
    chars[:, 17] = _ALPHA_BYTES[(31 - (values * _WEIGHT_ARRAY).sum(axis=1) % 31) % 31]
    return chars.view("S18").ravel().astype(str)


_BYTE_VALUE = np.full(256, -1, dtype=np.int64)
_BYTE_VALUE[_ALPHA_BYTES] = np.arange(31)


def _values_of(chars: np.ndarray) -> np.ndarray:
    return _BYTE_VALUE[np.asarray(chars).astype("S1").view(np.uint8)]


def corrupt_check(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Replace each code's check character by a different alphabet character."""
    b = np.asarray(codes).astype("S18").view(np.uint8).reshape(-1, 18).copy()
    current = _BYTE_VALUE[b[:, 17]]
    shift = rng.integers(1, 31, size=len(b))
    b[:, 17] = _ALPHA_BYTES[(current + shift) % 31]
    return b.view("S18").ravel().astype(str)


def valid_mask(codes: np.ndarray) -> np.ndarray:
    """``is_valid`` for a whole column at once (a province's codes in milliseconds)."""
    codes = np.asarray(codes, dtype=object)
    out = np.zeros(len(codes), dtype=bool)
    shaped = np.fromiter((isinstance(c, str) and len(c) == 18 and c.isascii() for c in codes), bool, len(codes))
    if not shaped.any():
        return out
    b = codes[shaped].astype("S18").view(np.uint8).reshape(-1, 18)
    values = _BYTE_VALUE[b]
    known = (values >= 0).all(axis=1)
    check = (31 - (np.where(values[:, :17] < 0, 0, values[:, :17]) * _WEIGHT_ARRAY).sum(axis=1) % 31) % 31
    out[shaped] = known & (values[:, 17] == check)
    return out
