"""Charts of a model's evaluation, as PNG data URIs that embed in self-contained HTML.

Everything is drawn from the evaluation JSON (no data rows), so the model card at training,
the compliance report and the review pages draw the same pictures from the same numbers.
matplotlib is imported here only, with the Agg backend, so no screen is needed.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

from whitelist.models.stability import PsiBands

BLUE, ORANGE, GREY = "#1f5fa8", "#d9822b", "#8a8a8a"


def _figure(width: float = 5.0, height: float = 3.6) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
    return plt.subplots(figsize=(width, height), dpi=110)


def _uri(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


figure = _figure
"""A styled matplotlib figure and axes, for the other chart modules (explain/)."""
to_uri = _uri
"""A finished figure as a PNG data URI, for self-contained HTML."""


def roc(curve: Sequence[dict[str, float]], auc: float) -> str:
    fig, ax = _figure()
    ax.plot([p["goods"] for p in curve], [p["bads"] for p in curve], color=BLUE, label=f"model (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], color=GREY, linestyle="--", linewidth=1, label="random")
    ax.set(xlabel="share of goods flagged (false positive rate)", ylabel="share of bads caught", title="ROC, out of time")
    ax.legend(loc="lower right", frameon=False)
    return _uri(fig)


def ks(curve: Sequence[dict[str, float]], ks_value: float) -> str:
    fig, ax = _figure()
    share = [p["share"] for p in curve]
    bads, goods = [p["bads"] for p in curve], [p["goods"] for p in curve]
    gaps = [b - g for b, g in zip(bads, goods, strict=True)]
    at = max(range(len(gaps)), key=gaps.__getitem__)
    ax.plot(share, bads, color=ORANGE, label="bads")
    ax.plot(share, goods, color=BLUE, label="goods")
    ax.vlines(share[at], goods[at], bads[at], color=GREY, linestyle=":", label=f"KS {ks_value:.3f}")
    ax.set(xlabel="population, riskiest first", ylabel="cumulative share", title="KS, out of time")
    ax.legend(loc="lower right", frameon=False)
    return _uri(fig)


def calibration(deciles: Sequence[dict[str, float]]) -> str:
    """Predicted against observed by decile, on log axes: most enterprises sit at low PDs."""
    fig, ax = _figure()
    predicted = [d["mean_pd"] for d in deciles]
    observed = [d["bad_rate"] for d in deciles]
    floor = 0.5 / max(sum(d["rows"] for d in deciles) / max(len(deciles), 1), 1.0)  # half a default in a decile
    shown = [max(o, floor) for o in observed]
    low, high = min(min(predicted), min(shown)) * 0.8, max(max(predicted), max(shown)) * 1.25
    ax.plot([low, high], [low, high], color=GREY, linestyle="--", linewidth=1, label="perfect calibration")
    ax.plot(predicted, shown, marker="o", color=BLUE, label="PD decile")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel="mean predicted PD", ylabel="observed default rate", title="Calibration by PD decile, out of time")
    ax.legend(loc="upper left", frameon=False)
    return _uri(fig)


def bars(values: dict[str, float], title: str, xlabel: str, top: int = 20) -> str:
    """Horizontal bars of the ``top`` largest values, largest at the top."""
    items = sorted(values.items(), key=lambda t: (-t[1], t[0]))[:top]
    fig, ax = _figure(6.0, 0.22 * max(len(items), 4) + 1.0)
    ax.barh([k for k, _ in reversed(items)], [v for _, v in reversed(items)], color=BLUE)
    ax.set(xlabel=xlabel, title=title)
    return _uri(fig)


def psi_bars(values: dict[str, float], bands: PsiBands = PsiBands(), top: int = 20) -> str:
    items = sorted(values.items(), key=lambda t: (-t[1], t[0]))[:top]
    fig, ax = _figure(6.0, 0.22 * max(len(items), 4) + 1.0)
    colours = [ORANGE if v >= bands.stable else BLUE for _, v in reversed(items)]
    ax.barh([k for k, _ in reversed(items)], [v for _, v in reversed(items)], color=colours)
    for b in (bands.stable, bands.shift):
        ax.axvline(b, color=GREY, linestyle=":", linewidth=1)
    ax.set(xlabel=f"PSI, training -> out of time (dotted: {bands.stable:.2f} watch, {bands.shift:.2f} act)",
           title="Most drifted features")
    return _uri(fig)


def tuning(trials: Sequence[dict[str, Any]]) -> str:
    fig, ax = _figure(5.0, 3.0)
    done = [(t["number"], t["value"]) for t in trials if t.get("value") is not None]
    pruned = [t["number"] for t in trials if t.get("state") == "PRUNED"]
    if done:
        ax.scatter([n for n, _ in done], [v for _, v in done], color=BLUE, s=14, label="complete")
        best, running = [], float("-inf")
        for _, v in done:
            running = max(running, v)
            best.append(running)
        ax.step([n for n, _ in done], best, where="post", color=ORANGE, label="best so far")
    if pruned:
        ax.scatter(pruned, [min((v for _, v in done), default=0.5)] * len(pruned), marker="x", color=GREY, label="pruned")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="trial", ylabel="validation AUC", title="Optuna tuning")
    ax.legend(loc="lower right", frameon=False)
    return _uri(fig)
