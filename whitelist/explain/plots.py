"""Charts of a run: a decision's waterfall, reason frequencies, a beeswarm, segment bars.

Drawn with matplotlib (Agg) into PNG data URIs, so every page opens offline. Labels are reason
codes and English words: the Chinese texts sit in the HTML beside the images, where the
browser's fonts render them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from whitelist.models.plots import BLUE, GREY, ORANGE, figure, to_uri

RED, GREEN = "#b3261e", "#17702d"


def waterfall(base: float, items: Sequence[tuple[str, float]], raw: float, pd_: float | None, top: int = 10) -> str:
    """From the base value, each reason group's push on the log-odds, to the enterprise's raw score."""
    ordered = sorted(items, key=lambda t: (-abs(t[1]), t[0]))
    shown = list(ordered[:top])
    rest = sum(v for _, v in ordered[top:])
    if len(ordered) > top:
        shown.append((f"{len(ordered) - top} other groups", rest))
    fig, ax = figure(6.5, 0.32 * (len(shown) + 2) + 1.2)
    labels = ["base value", *[c for c, _ in shown], "raw score"]
    running = base
    y = np.arange(len(labels))[::-1]
    ax.plot([base], [y[0]], marker="D", color=GREY)
    ax.text(base, y[0], f"  {base:+.3f}", va="center", fontsize=8)
    edges = [base, raw]
    for i, (_, value) in enumerate(shown, start=1):
        ax.barh(y[i], value, left=running, color=RED if value > 0 else GREEN, height=0.6)
        ax.text(max(running, running + value), y[i], f" {value:+.3f}", va="center", fontsize=8)
        running += value
        edges.append(running)
    ax.plot([raw], [y[-1]], marker="D", color=BLUE)
    ax.text(raw, y[-1], f"  {raw:+.3f}", va="center", fontsize=8)
    ax.axvline(base, color=GREY, linestyle=":", linewidth=1)
    low, high = min(edges), max(edges)
    pad = max(high - low, 0.5) * 0.25
    ax.set_xlim(low - pad * 0.3, high + pad)
    ax.set_yticks(y, labels)
    title = f"Contributions to the log-odds of default (raw {raw:+.3f}"
    ax.set(xlabel="log-odds (red raises risk, green lowers it)", title=title + (f", PD {pd_:.2%})" if pd_ is not None else ")"))
    return to_uri(fig)


def frequency(counts: dict[str, int], title: str, top: int = 20) -> str:
    items = sorted(counts.items(), key=lambda t: (-t[1], t[0]))[:top]
    fig, ax = figure(6.0, 0.24 * max(len(items), 4) + 1.0)
    ax.barh([k for k, _ in reversed(items)], [v for _, v in reversed(items)], color=BLUE)
    ax.set(xlabel="enterprises", title=title)
    return to_uri(fig)


def beeswarm(values: np.ndarray, codes: Sequence[str], lead: np.ndarray, top: int = 15, seed: int = 0) -> str:
    """Each enterprise a dot per reason group: its contribution, coloured by the lead feature's rank."""
    order = np.argsort(-np.abs(values).mean(axis=0), kind="stable")[:top]
    fig, ax = figure(6.5, 0.35 * len(order) + 1.2)
    rng = np.random.default_rng(seed)
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("coolwarm")
    for row, j in enumerate(order[::-1]):
        x = values[:, j]
        colour = lead[:, j]
        ok = np.isfinite(colour)
        rank = np.full(len(x), 0.5)
        if ok.sum() > 1:
            rank[ok] = colour[ok].argsort().argsort() / (ok.sum() - 1)
        jitter = rng.uniform(-0.3, 0.3, len(x))
        ax.scatter(x, row + jitter, c=cmap(rank), s=4, alpha=0.6, linewidths=0)
    ax.set_yticks(range(len(order)), [codes[j] for j in order[::-1]])
    ax.axvline(0, color=GREY, linewidth=1)
    ax.set(xlabel="contribution to the log-odds (colour: lead feature, blue low, red high)",
           title="Reason groups across enterprises (beeswarm)")
    return to_uri(fig)


def segment_bars(labels: Sequence[str], values: Sequence[float], overall: float, title: str, xlabel: str,
                 flagged: Sequence[bool]) -> str:
    fig, ax = figure(6.0, 0.26 * max(len(labels), 4) + 1.0)
    y = np.arange(len(labels))[::-1]
    ax.barh(y, values, color=[ORANGE if f else BLUE for f in flagged])
    ax.axvline(overall, color=GREY, linestyle=":", linewidth=1, label="all enterprises")
    ax.set_yticks(y, labels)
    ax.set(xlabel=xlabel, title=title)
    ax.legend(loc="lower right", frameon=False)
    return to_uri(fig)
