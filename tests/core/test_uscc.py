"""GB 32100-2015 codes: the check character round-trips, and every single-character error is caught."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from whitelist.core.uscc import (
    ALPHABET,
    WEIGHTS,
    check_character,
    corrupt_check,
    is_valid,
    make_codes,
    problem,
)

bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def test_weights_are_powers_of_three_mod_31() -> None:
    assert WEIGHTS[:6] == (1, 3, 9, 27, 19, 26)
    assert len(ALPHABET) == 31 and not set("IOSVZ") & set(ALPHABET)


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("91350100M000100Y43", True),  # a published code
        ("91350100M000100Y44", False),
        ("91350100M000100Y4", False),
        ("91350100M000100YI3", False),
        (None, False),
        (913501001, False),
    ],
)
def test_is_valid_table(code: object, valid: bool) -> None:
    assert is_valid(code) is valid


@given(bodies)
def test_check_character_round_trips(body: str) -> None:
    code = body + check_character(body)
    assert is_valid(code)
    assert problem(code) is None


@given(bodies, st.integers(0, 17), st.integers(1, 30))
def test_any_single_character_change_is_invalid(body: str, position: int, shift: int) -> None:
    code = body + check_character(body)
    changed = ALPHABET[(ALPHABET.index(code[position]) + shift) % 31]
    wrong = code[:position] + changed + code[position + 1 :]
    assert not is_valid(wrong)


@given(st.text(min_size=0, max_size=20))
def test_problem_says_why_exactly_when_invalid(text: str) -> None:
    assert (problem(text) is None) == is_valid(text)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (None, "missing"),
        ("123", "has 3 characters, expected 18"),
        ("91350100M000100YI3", "characters 'I' are outside the USCC alphabet"),
        ("91350100M000100Y44", "check character is '4', expected '3'"),
    ],
)
def test_problem_messages(code: object, message: str) -> None:
    assert problem(code) == message


def test_check_character_rejects_bad_bodies() -> None:
    with pytest.raises(ValueError, match="17 characters"):
        check_character("123")
    with pytest.raises(ValueError, match="not in the USCC alphabet"):
        check_character("I" * 17)


@given(st.lists(st.integers(0, 31**8 - 1), min_size=1, max_size=50, unique=True), st.integers(0, 2**32 - 1))
def test_make_codes_valid_and_corrupt_check_invalid(serials: list[int], seed: int) -> None:
    n = len(serials)
    codes = make_codes(np.full(n, "9"), np.full(n, "1"), np.full(n, 330102), np.array(serials))
    assert all(is_valid(c) for c in codes)
    assert len(set(codes)) == n
    bad = corrupt_check(codes, np.random.default_rng(seed))
    assert not any(is_valid(c) for c in bad)
    assert [c[:17] for c in bad] == [c[:17] for c in codes]


@given(st.lists(st.one_of(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYIOZa ", min_size=16, max_size=19),
                          st.none(), st.integers()), max_size=40))
def test_valid_mask_agrees_with_is_valid(values: list[object]) -> None:
    from whitelist.core.uscc import valid_mask

    codes = [*values, "91330102436Q7TCD50", "9133010243607TCD50"]
    assert valid_mask(np.array(codes, dtype=object)).tolist() == [is_valid(c) for c in codes]
