"""Test-wide settings and fixtures.

Hypothesis checks behaviour, not speed (CI machines are shared); a small generated and
validated province is shared by the feature and CLI tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.cases import scoring_case  # noqa: F401 - registered here once, shared by every test package
from whitelist.sources.synthetic import SyntheticConfig, generate_province
from whitelist.sources.validate import validate_folder

settings.register_profile("whitelist", deadline=None, print_blob=True)
settings.load_profile("whitelist")


@pytest.fixture(scope="session")
def province(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(raw, validated) folders of a 2,000-entity province."""
    root = tmp_path_factory.mktemp("feature-province")
    generate_province(SyntheticConfig(enterprises=2_000, seed=31, chunk_size=1_000), root / "raw")
    validate_folder(root / "raw", root / "validated", memory_limit="1GB")
    return root / "raw", root / "validated"


@pytest.fixture(autouse=True)
def _mlflow_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test's MLflow runs go to a store of their own, never the working folder's."""
    store = tmp_path_factory.mktemp("mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
    monkeypatch.chdir(store)


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local Spark session (2 cores) for every test that runs the engine on Spark."""
    from whitelist.features.engines.spark import session

    active = session()
    yield active
    active.stop()
