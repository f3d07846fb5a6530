"""The synthetic province: a seeded generative model of the government sources.

It writes every source of the data contract with a hidden default process driven by the
signals the features see, plus ``truth.parquet`` so tests and benchmarks can compare a model
with the best possible one. Features never read the truth.
"""

from whitelist.sources.synthetic.config import DefectRates, ProcessParams, SyntheticConfig
from whitelist.sources.synthetic.generate import GenerateResult, generate_province

__all__ = ["DefectRates", "GenerateResult", "ProcessParams", "SyntheticConfig", "generate_province"]
