"""Kills and tampering: no stage accepts a folder another stage left half-written or someone changed (issue 20).

`whitelist validate` and `whitelist score` run as real processes and are killed (SIGKILL, no
clean-up) at several points; afterwards the output is the earlier folder or none, never a mix, the
next stages accept only a whole one, and the next run clears what the dead process left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.cases import ScoringCase
from whitelist.core.errors import InputDataError
from whitelist.core.io import LEFTOVER, file_sha256
from whitelist.explain.run_folder import RunFolder
from whitelist.features.build import build_features, parse_as_of
from whitelist.features.spec import load_features
from whitelist.sources.validate import QUALITY_REPORT, check_validated, validate_folder

EXE = Path(sys.executable).with_name("whitelist")
KILL_AFTER = (0.5, 1.5, 2.5, 4.0)
"""Seconds after start: while importing, staging, checking and writing (a 2,000-entity province)."""


def _killed(args: list[str], after: float) -> None:
    proc = subprocess.Popen([str(EXE), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if LEFTOVER.match(p.name))


def test_validation_killed_at_any_point_leaves_the_earlier_folder_whole(
    province: tuple[Path, Path], tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(province[0], raw)
    out = tmp_path / "validated"
    validate_folder(raw, out, memory_limit="1GB")
    before = {p.relative_to(out): file_sha256(p) for p in out.rglob("*") if p.is_file()}
    registry = pd.read_parquet(raw / "registry.parquet")
    registry.loc[0, "registered_capital"] = -5.0  # the new export differs, so a mix would show
    registry.to_parquet(raw / "registry.parquet", index=False)
    for after in KILL_AFTER:
        _killed(["validate", "--raw", str(raw), "--out", str(out), "--memory-limit", "1GB"], after)
        now = {p.relative_to(out): file_sha256(p) for p in out.rglob("*") if p.is_file()}
        check_validated(out)  # whole, old or new
        if now != before:  # it finished before the kill: the new folder, entirely
            assert pd.read_parquet(out / "quarantine" / "registry.parquet")["_reason"].eq("negative_value").any()
            before = now
    result = validate_folder(raw, out, memory_limit="1GB")  # the next run clears what the dead ones left
    assert _leftovers(tmp_path) == [] and _leftovers(out) == []
    check_validated(result.out)


def test_features_refuse_a_folder_that_is_not_what_validation_wrote(province: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "validated"
    shutil.copytree(province[1], folder)
    spec, as_of = load_features(), parse_as_of("2024-12-31")
    registry = folder / "registry.parquet"
    original = registry.read_bytes()
    pd.read_parquet(registry).head(10).to_parquet(registry, index=False)  # a file replaced
    with pytest.raises(InputDataError, match="registry.parquet differs from the file validation wrote"):
        build_features(folder, as_of, tmp_path / "f.parquet", spec)
    registry.write_bytes(original)
    shutil.copy(folder / "tax.parquet", folder / "old_tax.parquet")  # a file validation did not write
    with pytest.raises(InputDataError, match="old_tax.parquet was not written by this validation"):
        build_features(folder, as_of, tmp_path / "f.parquet", spec)
    (folder / "old_tax.parquet").unlink()
    (folder / "credit.parquet").unlink()
    with pytest.raises(InputDataError, match="credit.parquet is missing"):
        build_features(folder, as_of, tmp_path / "f.parquet", spec)
    (folder / QUALITY_REPORT).unlink()
    with pytest.raises(InputDataError, match="not a validated folder"):
        build_features(folder, as_of, tmp_path / "f.parquet", spec)


def test_validation_never_replaces_a_folder_it_did_not_write(province: tuple[Path, Path], tmp_path: Path) -> None:
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(InputDataError, match="got a folder holding other files and no quality.json"):
        validate_folder(province[0], mine, memory_limit="1GB")
    assert (mine / "notes.txt").read_text() == "keep me"


def test_score_killed_at_any_point_leaves_a_whole_run_or_none(scoring_case: ScoringCase, tmp_path: Path) -> None:
    for i, after in enumerate(KILL_AFTER):
        out = tmp_path / f"run-{i}"
        _killed(["score", "--model", str(scoring_case.model), "--features", str(scoring_case.features),
                 "--raw", str(scoring_case.validated), "--policy", str(scoring_case.policy_path), "--out", str(out)], after)
        if out.exists():
            RunFolder.open(out)  # every file a run has, or it would not have been renamed into place
    kept = [p for p in tmp_path.iterdir() if LEFTOVER.match(p.name)]
    from whitelist.scoring.run import run_scoring

    run_scoring(scoring_case.request(tmp_path / "final"))  # the next run clears the dead runs' folders
    assert _leftovers(tmp_path) == [], f"left by killed runs before: {[p.name for p in kept]}"
    RunFolder.open(tmp_path / "final")


def test_scoring_refuses_a_validated_folder_whose_registry_changed(scoring_case: ScoringCase, tmp_path: Path) -> None:
    from whitelist.scoring.run import run_scoring

    folder = tmp_path / "validated"
    shutil.copytree(scoring_case.validated, folder)
    visits = pd.read_parquet(folder / "visit_list.parquet")
    visits.head(len(visits) // 2).to_parquet(folder / "visit_list.parquet", index=False)
    with pytest.raises(InputDataError, match="visit_list.parquet differs from the file validation wrote"):
        run_scoring(scoring_case.request(tmp_path / "run", raw=folder))
    assert not (tmp_path / "run").exists()


def test_every_visit_list_code_is_scanned_once_whatever_is_wrong_with_its_rows(
    scoring_case: ScoringCase, province: tuple[Path, Path], tmp_path: Path
) -> None:
    """A bad capital is cleared and the enterprise scored; a visit row rejected for its town is scanned as
    invalid (IN05); a copy and a bad code are counted, and the manifest adds the raw rows up."""
    from whitelist.core.uscc import valid_mask
    from whitelist.scoring.run import run_scoring

    raw = tmp_path / "raw"
    shutil.copytree(province[0], raw)
    visits = pd.read_parquet(raw / "visit_list.parquet")
    registry = pd.read_parquet(raw / "registry.parquet")
    codes = visits["uscc"].astype(str)
    in_registry = codes[codes.isin(set(registry["uscc"].astype(str)))]
    capital, town = in_registry.iloc[0], in_registry.iloc[1]
    registry.loc[registry["uscc"].astype(str) == capital, "registered_capital"] = -5.0
    registry.to_parquet(raw / "registry.parquet", index=False)
    visits = visits.astype({"uscc": str, "town": str})
    visits.loc[visits["uscc"] == town, "town"] = "33010"
    bad_code = visits.iloc[[2]].assign(uscc=lambda f: f["uscc"].str[:17] + "?")
    visits = pd.concat([visits, visits.iloc[[3]], bad_code], ignore_index=True)  # a copy, a code failing its check
    visits.to_parquet(raw / "visit_list.parquet", index=False)
    raw_rows = len(visits)

    validated = validate_folder(raw, tmp_path / "validated", memory_limit="1GB").out
    features = build_features(validated, [parse_as_of("2024-12-31")[0]], tmp_path / "score.parquet", load_features())
    run_scoring(scoring_case.request(tmp_path / "run", raw=validated, features=features.path))

    wl = pd.read_parquet(tmp_path / "run" / "whitelist.parquet").set_index("uscc")
    good = valid_mask(visits["uscc"].to_numpy(dtype=object))
    passing = sorted(set(visits.loc[good, "uscc"]))
    assert wl.index.is_unique and sorted(wl.index) == passing
    assert (wl.loc[town, "decision"], wl.loc[town, "reason_1"]) == ("invalid", "IN05")
    assert wl.loc[town, "branch"] == visits.loc[visits["uscc"] == town, "branch_id"].iloc[0]  # still routed
    assert wl.loc[capital, "decision"] != "invalid"
    cleared = pd.read_parquet(validated / "quarantine" / "registry.parquet")
    assert list(cleared.loc[cleared["uscc"] == capital, "_action"]) == ["clear_field"]
    account = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))["visit_list"]
    assert account == {
        "rows_read": raw_rows, "scanned": len(passing), "rejected_scanned": 1,
        "duplicates": int(good.sum()) - len(passing), "invalid_codes": int((~good).sum()),
        "reconciles": True,
    }
