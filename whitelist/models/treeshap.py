"""Exact path-dependent TreeSHAP for single-output LightGBM boosters, compiled with numba.

Why: ``booster.predict(X, pred_contrib=True)`` walks every root-to-leaf path with the
EXTEND/UNWIND recurrences, O(leaves x depth^2) per tree and row, which is too slow to give
reasons for every enterprise of a province. This module gives the same numbers (to rounding,
~1e-14) in O(nodes + leaves x unique path features) per tree and row.

How. For one leaf, path-dependent TreeSHAP only needs, per unique feature j of its path:
the zero fraction z_j (the product of the cover ratios of the path's splits on j, fixed by
the model) and the one fraction o_j (1 iff the row follows *every* split on j of the path,
else 0). With d unique features,

    phi_j = v * (o_j - z_j) * sum_k k!(d-1-k)!/d! * [t^k] prod_{i != j} (z_i + o_i t)
          = v * (o_j - z_j) * int_0^1 prod_{i != j} (z_i (1 - s) + o_i s) ds,

the second form (as in Linear TreeShap, Yu et al. 2022) being a product of positive terms
that Gauss-Legendre integrates exactly with d // 2 + 1 points, free of cancellation.

Since the o's are bits, a leaf has only 2^d possible rows: ``compile_booster`` tabulates
phi for every pattern once (the "leaf tables"), and ``tree_shap`` per row and tree decides
every internal node once (LightGBM's own decision rules, NaN and categorical included),
pushes the pattern bits down the tree and adds each leaf's table row. Leaves with more
unique features than the table allows are computed per row from the same formula in O(d^2),
so any depth works. The expected value (last column) is LightGBM's: the sum over trees of
the leaf values weighted by their training counts. Rows are processed in blocks (one per
parallel task) with trees as the outer loop, so a tree's tables stay in cache.

Memory: a leaf with d unique features holds 2^d * d doubles, e.g. 3 KiB at d = 6; a forest
of 400 trees with 63 leaves all at depth 6 would be 77 MiB at most. ``compile_booster``
lowers the table cut-off until the tables fit ``max_table_bytes`` (default 256 MiB) and
``CompiledForest.table_bytes`` reports what they take (38.5 MB for the 400-tree, 63-leaf
benchmark model). Besides its output, ``tree_shap`` holds per running block of up to 512
rows (2 x features + nodes + leaves) x 512 x 8 bytes of scratch, ~1.7 MB at 142 features.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import lightgbm as lgb
import numba
import numpy as np
from numba import njit, prange

K_ZERO_THRESHOLD = float(np.float32(1e-35))
"""LightGBM's kZeroThreshold: the float literal 1e-35f widened to double, as tree.h compares."""

NUMERICAL, ZERO_AS_MISSING, CATEGORICAL = 0, 1, 2
"""Node kinds: a numerical split, one with missing_type Zero, a categorical split."""

DEFAULT_MAX_TABLE_UNIQUE = 10
MAX_TABLE_UNIQUE = 16
DEFAULT_MAX_TABLE_BYTES = 256 * 1024**2
ROW_BLOCK = 512
"""Most rows per parallel task: a tree's nodes and tables are reused across the block's rows
(512 measured best on the 400-tree depth-6 model; the numbers do not depend on it)."""
MIN_ROW_BLOCK = 32

_MISSING_NAN = 2


class UnsupportedModelError(ValueError):
    """The booster is outside what the compiled TreeSHAP reproduces; use pred_contrib instead."""


@dataclass(frozen=True)
class CompiledForest:
    """A booster's trees as flat arrays for the numba kernel.

    Internal nodes of a tree are stored parent-before-child (breadth first); a child is its
    local node index, or the tree's node count plus its leaf index, which is its row in the
    kernel's pattern array. Only trees with a split are stored: single-leaf trees only move
    the expected value.
    """

    n_features: int
    feature_names: tuple[str, ...]
    expected_value: float
    tree_node_start: np.ndarray  # int64 (trees,)
    tree_n_nodes: np.ndarray  # int64 (trees,)
    tree_leaf_start: np.ndarray  # int64 (trees,)
    tree_n_leaves: np.ndarray  # int64 (trees,)
    node_feature: np.ndarray  # int64 (nodes,)
    node_kind: np.ndarray  # int8: NUMERICAL, ZERO_AS_MISSING or CATEGORICAL
    node_threshold: np.ndarray  # float64
    node_default_left: np.ndarray  # uint8: where missing_type's missing values go
    node_nan_left: np.ndarray  # uint8: where NaN goes (numerical kinds)
    node_cat_start: np.ndarray  # int64 into cat_bits
    node_cat_len: np.ndarray  # int64 words of the category bitset
    node_left: np.ndarray  # int64 child's local node index, or tree's n_nodes + leaf index
    node_right: np.ndarray  # int64 same for the right child
    node_bit: np.ndarray  # int64 pattern bit of the node's feature on its path (0 past 62)
    cat_bits: np.ndarray  # uint32 category bitsets
    leaf_n_unique: np.ndarray  # int64 d: unique features on the leaf's path
    leaf_feat_start: np.ndarray  # int64 into leaf_feature / leaf_zero
    leaf_feature: np.ndarray  # int64 the path's unique features, in pattern-bit order
    leaf_zero: np.ndarray  # float64 their zero fractions
    leaf_value: np.ndarray  # float64
    leaf_table: np.ndarray  # int64 offset into table, -1 for a per-row leaf
    leaf_path_start: np.ndarray  # int64 (leaves + 1,) into path_*
    path_node: np.ndarray  # int64 local node index of each split on the leaf's path
    path_left: np.ndarray  # uint8 1 if the path goes left there
    path_slot: np.ndarray  # int64 pattern slot of that split's feature
    table: np.ndarray  # float64 leaf tables: [pattern * d + slot]
    quad_nodes: np.ndarray  # float64 Gauss-Legendre nodes on [0, 1], row n: the n-point rule
    quad_weights: np.ndarray  # float64 their weights
    max_nodes: int
    max_leaves: int
    max_unique: int
    table_max_unique: int
    """Leaves with at most this many unique features use a table; deeper ones are per row."""

    @property
    def table_bytes(self) -> int:
        return int(self.table.nbytes)

    @property
    def nbytes(self) -> int:
        arrays = (getattr(self, f.name) for f in fields(self))
        return sum(int(a.nbytes) for a in arrays if isinstance(a, np.ndarray))


# --------------------------------------------------------------------------- parsing


def _sections(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The header's and each tree's ``key=value`` lines of a LightGBM text model."""
    header: dict[str, str] = {}
    trees: list[dict[str, str]] = []
    current = header
    for line in text.splitlines():
        if line == "end of trees":
            break
        if line.startswith("Tree="):
            current = {}
            trees.append(current)
        elif "=" in line:
            key, _, value = line.partition("=")
            current[key] = value
        elif line.strip():
            current[line.strip()] = ""
    return header, trees


def _check_supported(header: dict[str, str], trees: list[dict[str, str]]) -> None:
    per_iteration = int(header.get("num_tree_per_iteration", "1"))
    if int(header.get("num_class", "1")) != 1 or per_iteration != 1:
        raise UnsupportedModelError(
            f"the booster has {per_iteration} trees per iteration (multiclass or multi-output); "
            "the compiled TreeSHAP handles one output only: use booster.predict(X, pred_contrib=True)"
        )
    if "average_output" in header:
        raise UnsupportedModelError(
            "the booster averages its trees (boosting=rf), which pred_contrib does not; "
            "use booster.predict(X, pred_contrib=True)"
        )
    if any(t.get("is_linear", "0") != "0" for t in trees):
        raise UnsupportedModelError(
            "the booster has linear trees (linear_tree=true), whose leaves are not constants; "
            "use booster.predict(X, pred_contrib=True)"
        )
    if not trees:
        raise UnsupportedModelError("the booster has no trees; train it before explaining it")


def _ints(tree: dict[str, str], key: str) -> np.ndarray:
    return np.array(tree.get(key, "").split(), dtype=np.int64)


def _floats(tree: dict[str, str], key: str) -> np.ndarray:
    return np.array(tree.get(key, "").split(), dtype=np.float64)


@dataclass
class _Leaf:
    features: tuple[int, ...]
    zeros: tuple[float, ...]
    path: tuple[tuple[int, int, int], ...]  # (local node, goes left, slot)


@dataclass
class _Tree:
    """One tree with at least one split, nodes renumbered breadth first."""

    feature: np.ndarray
    decision: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    slot: np.ndarray
    cat_boundaries: np.ndarray
    cat_threshold: np.ndarray
    leaf_value: np.ndarray
    leaves: list[_Leaf]


def _expected_value(tree: dict[str, str]) -> float:
    """LightGBM's Tree::ExpectedValue: leaf values weighted by count / root count."""
    values = _floats(tree, "leaf_value")
    if len(values) == 1:
        return float(values[0])
    total = float(_ints(tree, "internal_count")[0])
    out = 0.0
    for count, value in zip(_ints(tree, "leaf_count"), values, strict=True):
        out += (float(count) / total) * float(value)
    return out


def _breadth_first(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    order = [0]
    for node in order:
        order.extend(int(c) for c in (left[node], right[node]) if c >= 0)
    return np.array(order, dtype=np.int64)


def _parse_tree(index: int, tree: dict[str, str]) -> _Tree:
    """Arrays of one tree plus, per leaf, its unique path features, zero fractions and splits."""
    left, right = _ints(tree, "left_child"), _ints(tree, "right_child")
    internal_count, leaf_count = _ints(tree, "internal_count"), _ints(tree, "leaf_count")
    if (internal_count <= 0).any() or (leaf_count <= 0).any():
        raise UnsupportedModelError(
            f"tree {index} has a node with no training rows, so TreeSHAP's cover ratios are undefined; "
            "use booster.predict(X, pred_contrib=True)"
        )
    order = _breadth_first(left, right)
    local = np.empty_like(order)
    local[order] = np.arange(len(order))

    def renumber(child: np.ndarray) -> np.ndarray:
        return np.where(child >= 0, local[np.maximum(child, 0)], child)

    feature = _ints(tree, "split_feature")
    slot = np.zeros(len(order), dtype=np.int64)
    # Python lists: the walk below touches every node once per path, scalar by scalar.
    feats_of, lefts, rights = feature.tolist(), left.tolist(), right.tolist()
    inner, leafs, where = internal_count.tolist(), leaf_count.tolist(), local.tolist()
    leaves: list[_Leaf] = [_Leaf((), (), ())] * len(leafs)
    stack: list[tuple[int, tuple[int, ...], tuple[float, ...], tuple[tuple[int, int, int], ...]]] = [
        (0, (), (), ())
    ]
    while stack:
        node, feats, zeros, path = stack.pop()
        f = feats_of[node]
        if f in feats:
            s = feats.index(f)
        else:
            s, feats, zeros = len(feats), (*feats, f), (*zeros, 1.0)
        slot[where[node]] = s
        for child, goes_left in ((lefts[node], 1), (rights[node], 0)):
            ratio = float(inner[child] if child >= 0 else leafs[~child]) / float(inner[node])
            child_zeros = (*zeros[:s], ratio * zeros[s], *zeros[s + 1 :])
            child_path = (*path, (where[node], goes_left, s))
            if child >= 0:
                stack.append((child, feats, child_zeros, child_path))
            else:
                leaves[~child] = _Leaf(feats, child_zeros, child_path)
    return _Tree(
        feature=feature[order],
        decision=_ints(tree, "decision_type")[order],
        threshold=_floats(tree, "threshold")[order],
        left=renumber(left[order]),
        right=renumber(right[order]),
        slot=slot,
        cat_boundaries=_ints(tree, "cat_boundaries"),
        cat_threshold=_ints(tree, "cat_threshold"),
        leaf_value=_floats(tree, "leaf_value"),
        leaves=leaves,
    )


def _starts(counts: np.ndarray) -> np.ndarray:
    return (np.cumsum(counts) - counts).astype(np.int64)


def _table_cut_off(trees: list[_Tree], max_unique: int, max_bytes: int) -> int:
    """The largest d <= max_unique whose leaf tables (2^d * d doubles per leaf) fit max_bytes."""
    depths = np.array([len(leaf.features) for t in trees for leaf in t.leaves], dtype=np.int64)
    cut = max_unique
    while cut > 0:
        small = depths[depths <= cut]
        if int(((1 << small) * small * 8).sum()) <= max_bytes:
            break
        cut -= 1
    return cut


# --------------------------------------------------------------------------- flattening


def _concat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)


def _node_arrays(trees: list[_Tree]) -> dict[str, np.ndarray]:
    """Per internal node: what LightGBM's decision needs, its children's rows and pattern bit."""
    kind, default_left, nan_left, cat_start, cat_len, cat_bits = [], [], [], [], [], []
    bits_offset = 0
    for t in trees:
        for node in range(len(t.feature)):
            decision = int(t.decision[node])
            dleft = (decision >> 1) & 1
            missing = (decision >> 2) & 3
            default_left.append(dleft)
            if decision & 1:
                cat = int(t.threshold[node])
                kind.append(CATEGORICAL)
                cat_start.append(bits_offset + int(t.cat_boundaries[cat]))
                cat_len.append(int(t.cat_boundaries[cat + 1] - t.cat_boundaries[cat]))
                nan_left.append(0)
            else:
                kind.append(ZERO_AS_MISSING if missing == 1 else NUMERICAL)
                cat_start.append(0)
                cat_len.append(0)
                # NaN is missing for Zero and NaN types; otherwise LightGBM reads it as 0.0.
                nan_left.append(dleft if missing in (1, _MISSING_NAN) else int(0.0 <= t.threshold[node]))
        cat_bits.append(t.cat_threshold)
        bits_offset += len(t.cat_threshold)
    slots = _concat([t.slot for t in trees])
    return {
        "node_feature": _concat([t.feature for t in trees]),
        "node_kind": np.array(kind, dtype=np.int8),
        "node_threshold": _concat([t.threshold for t in trees]).astype(np.float64),
        "node_default_left": np.array(default_left, dtype=np.uint8),
        "node_nan_left": np.array(nan_left, dtype=np.uint8),
        "node_cat_start": np.array(cat_start, dtype=np.int64),
        "node_cat_len": np.array(cat_len, dtype=np.int64),
        "node_left": _concat([_child_rows(t.left) for t in trees]),
        "node_right": _concat([_child_rows(t.right) for t in trees]),
        "node_bit": np.where(slots < 62, np.left_shift(1, np.minimum(slots, 62)), 0).astype(np.int64),
        "cat_bits": _concat(cat_bits).astype(np.uint32),
    }


def _child_rows(child: np.ndarray) -> np.ndarray:
    """A child's row in the kernel's pattern array: its node index, or n_nodes + leaf index."""
    return np.where(child >= 0, child, len(child) + ~child)


def _leaf_arrays(trees: list[_Tree], table_max_unique: int) -> dict[str, np.ndarray]:
    """Per leaf: unique path features and zero fractions, table offset, and its splits for per-row leaves."""
    n_unique, feat_start, features, zeros, table_at, path_start = [], [], [], [], [], [0]
    path_node, path_left, path_slot = [], [], []
    table_size = 0
    for t in trees:
        for leaf in t.leaves:
            d = len(leaf.features)
            n_unique.append(d)
            feat_start.append(len(features))
            features.extend(leaf.features)
            zeros.extend(leaf.zeros)
            if d <= table_max_unique:
                table_at.append(table_size)
                table_size += (1 << d) * d
            else:
                table_at.append(-1)
            for node, goes_left, s in leaf.path:
                path_node.append(node)
                path_left.append(goes_left)
                path_slot.append(s)
            path_start.append(len(path_node))
    return {
        "leaf_n_unique": np.array(n_unique, dtype=np.int64),
        "leaf_feat_start": np.array(feat_start, dtype=np.int64),
        "leaf_feature": np.array(features, dtype=np.int64),
        "leaf_zero": np.array(zeros, dtype=np.float64),
        "leaf_value": np.concatenate([t.leaf_value for t in trees]) if trees else np.zeros(0),
        "leaf_table": np.array(table_at, dtype=np.int64),
        "leaf_path_start": np.array(path_start, dtype=np.int64),
        "path_node": np.array(path_node, dtype=np.int64),
        "path_left": np.array(path_left, dtype=np.uint8),
        "path_slot": np.array(path_slot, dtype=np.int64),
        "table": np.zeros(table_size, dtype=np.float64),
    }


def compile_booster(
    booster: lgb.Booster,
    max_table_unique: int = DEFAULT_MAX_TABLE_UNIQUE,
    max_table_bytes: int = DEFAULT_MAX_TABLE_BYTES,
) -> CompiledForest:
    """The booster's trees (those ``booster.predict`` uses by default) as a ``CompiledForest``.

    Reads ``model_to_string()``: its thresholds and leaf values are printed round-trip exact
    (%.17g) and categorical splits come as the bitsets LightGBM itself tests. Raises
    ``UnsupportedModelError`` (a ValueError) for multiclass, rf-averaged and linear-tree
    boosters and for nodes without training rows, so the caller can fall back to pred_contrib.
    """
    if not 0 <= max_table_unique <= MAX_TABLE_UNIQUE:
        raise ValueError(
            f"max_table_unique={max_table_unique}: use 0 (no tables) to {MAX_TABLE_UNIQUE}; "
            "a table of d unique features holds 2^d * d doubles per leaf"
        )
    header, raw_trees = _sections(booster.model_to_string())
    _check_supported(header, raw_trees)
    n_features = int(header["max_feature_idx"]) + 1
    expected = 0.0
    for tree in raw_trees:
        expected += _expected_value(tree)
    trees = [_parse_tree(i, t) for i, t in enumerate(raw_trees) if int(t["num_leaves"]) > 1]
    cut = _table_cut_off(trees, max_table_unique, max_table_bytes)
    nodes, leaves = _node_arrays(trees), _leaf_arrays(trees, cut)
    max_unique = int(leaves["leaf_n_unique"].max(initial=1))
    quad_nodes, quad_weights = _quadrature(max_unique)
    _fill_tables(
        leaves["leaf_n_unique"], leaves["leaf_feat_start"], leaves["leaf_zero"], leaves["leaf_value"],
        leaves["leaf_table"], leaves["table"], quad_nodes, quad_weights,
    )  # fmt: skip
    n_nodes = np.array([len(t.feature) for t in trees], dtype=np.int64)
    n_leaves = np.array([len(t.leaves) for t in trees], dtype=np.int64)
    return CompiledForest(
        n_features=n_features,
        feature_names=tuple(header.get("feature_names", "").split()),
        expected_value=expected,
        tree_node_start=_starts(n_nodes),
        tree_n_nodes=n_nodes,
        tree_leaf_start=_starts(n_leaves),
        tree_n_leaves=n_leaves,
        max_nodes=int(n_nodes.max(initial=1)),
        max_leaves=int(n_leaves.max(initial=1)),
        max_unique=max_unique,
        table_max_unique=cut,
        quad_nodes=quad_nodes,
        quad_weights=quad_weights,
        **nodes,
        **leaves,
    )


# --------------------------------------------------------------------------- numba kernels


def _quadrature(max_unique: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, 1]; row n holds the n-point rule.

    n points integrate polynomials of degree 2n - 1 exactly; a leaf with d unique features
    needs degree d - 1, so it uses n = d // 2 + 1.
    """
    size = max_unique // 2 + 2
    nodes, weights = np.zeros((size, size)), np.zeros((size, size))
    for n in range(1, size):
        x, w = np.polynomial.legendre.leggauss(n)
        nodes[n, :n], weights[n, :n] = (x + 1) / 2, w / 2
    return nodes, weights


@njit(cache=True)
def _leaf_phi(
    zero: np.ndarray, one: np.ndarray, d: int, value: float, quad_nodes: np.ndarray, quad_weights: np.ndarray,
    prod: np.ndarray, phi: np.ndarray,
) -> None:  # fmt: skip
    """phi[j] of one leaf for one pattern of one fractions, in O(d^2 / 2).

    The Shapley weights are Beta integrals, k!(d-1-k)!/d! = int_0^1 s^k (1-s)^(d-1-k) ds, so

        phi_j = v (o_j - z_j) int_0^1 prod_{i != j} (z_i (1 - s) + o_i s) ds,

    a polynomial of degree d - 1 that Gauss-Legendre integrates exactly. Every factor is
    positive on (0, 1), so there is no cancellation: the error stays ~d ulps at any depth,
    where the EXTEND/UNWIND recurrences drift (~1e-8 at 65 unique features).
    """
    n = d // 2 + 1
    for q in range(n):
        s = quad_nodes[n, q]
        p = 1.0
        for i in range(d):
            p *= zero[i] * (1.0 - s) + one[i] * s
        prod[q] = quad_weights[n, q] * p
    for j in range(d):
        acc = 0.0
        for q in range(n):
            s = quad_nodes[n, q]
            acc += prod[q] / (zero[j] * (1.0 - s) + one[j] * s)
        phi[j] = value * (one[j] - zero[j]) * acc


@njit(cache=True)
def _fill_tables(
    leaf_n_unique: np.ndarray,
    leaf_feat_start: np.ndarray,
    leaf_zero: np.ndarray,
    leaf_value: np.ndarray,
    leaf_table: np.ndarray,
    table: np.ndarray,
    quad_nodes: np.ndarray,
    quad_weights: np.ndarray,
) -> None:
    """Every table leaf's phi for each of its 2^d one-fraction patterns (bit j = slot j)."""
    top = 1
    for leaf in range(len(leaf_n_unique)):
        top = max(top, leaf_n_unique[leaf])
    prod = np.empty(top)
    one = np.empty(top)
    phi = np.empty(top)
    for leaf in range(len(leaf_n_unique)):
        at = leaf_table[leaf]
        if at < 0:
            continue
        d = leaf_n_unique[leaf]
        zero = leaf_zero[leaf_feat_start[leaf] : leaf_feat_start[leaf] + d]
        for pattern in range(1 << d):
            for j in range(d):
                one[j] = float((pattern >> j) & 1)
            _leaf_phi(zero, one, d, leaf_value[leaf], quad_nodes, quad_weights, prod, phi)
            for j in range(d):
                table[at + pattern * d + j] = phi[j]


@njit(cache=True, inline="always")
def _category_left(v: float, cat_start: int, cat_len: int, cat_bits: np.ndarray) -> np.uint8:
    """LightGBM's CategoricalDecision (tree.h) on a raw double: 1 if the row goes left.

    NaN, negatives and values whose int cast overflows (INT_MIN on x86) go right; values in
    (-1, 0) truncate to category 0, as static_cast<int> does; categories past the bitset go right.
    """
    if not (v > -1.0 and v < 2147483648.0):
        return np.uint8(0)
    c = np.int64(v)
    word = c >> 5
    if word >= cat_len:
        return np.uint8(0)
    return np.uint8((np.int64(cat_bits[cat_start + word]) >> (c & 31)) & 1)


@njit(cache=True, inline="always")
def _push(
    pat: np.ndarray, went: np.ndarray, k: int, i: int, w: np.uint8, bit: np.int64, lc: int, rc: int
) -> None:
    """Records node k's decision for row i and clears the feature's bit on the side not taken."""
    went[k, i] = w
    p = pat[k, i]
    pat[lc, i] = p & ~(bit * np.int64(1 - w))
    pat[rc, i] = p & ~(bit * np.int64(w))


@njit(cache=True)
def _route_block(
    xt, size, ns, nn, node_feature, node_kind, node_threshold, node_default_left, node_nan_left,
    node_cat_start, node_cat_len, node_left, node_right, node_bit, cat_bits, pat, went,
):  # fmt: skip
    """Decides each internal node of one tree once per row and pushes the pattern bits down.

    Rows are the inner loop (``xt`` is the block transposed, one feature per row) so each
    node's test runs branch-free over contiguous values. LightGBM's NumericalDecision: NaN
    goes where ``nan_left`` says (default_left when NaN is missing, else as 0.0 would), a
    Zero-missing node sends |v| <= kZeroThreshold the default way, else v <= threshold.
    At the end ``pat[n_nodes + leaf, i]`` has bit s set iff row i follows every split of
    the leaf's path on the feature in slot s (its one fraction).
    """
    for i in range(size):
        pat[0, i] = -1
    for k in range(nn):
        g = ns + k
        x = xt[node_feature[g]]
        kind, thr = node_kind[g], node_threshold[g]
        dl, nl = node_default_left[g], node_nan_left[g]
        bit, lc, rc = node_bit[g], node_left[g], node_right[g]
        if kind == CATEGORICAL:
            cs, cl = node_cat_start[g], node_cat_len[g]
            for i in range(size):
                _push(pat, went, k, i, _category_left(x[i], cs, cl, cat_bits), bit, lc, rc)
        elif kind == ZERO_AS_MISSING:
            for i in range(size):
                v = x[i]
                zero = np.uint8((v >= -K_ZERO_THRESHOLD) & (v <= K_ZERO_THRESHOLD))
                other = np.uint8(v <= thr) | (np.uint8(v != v) & nl)
                _push(pat, went, k, i, (zero & dl) | ((1 - zero) & other), bit, lc, rc)
        else:
            for i in range(size):
                v = x[i]
                _push(pat, went, k, i, np.uint8(v <= thr) | (np.uint8(v != v) & nl), bit, lc, rc)


@njit(cache=True)
def _add_leaves(
    size, nn, ls, nl, pat, went, acc, idx, leaf_n_unique, leaf_feat_start, leaf_feature, leaf_zero,
    leaf_value, leaf_table, leaf_path_start, path_node, path_left, path_slot, table, quad_nodes, quad_weights,
    one, prod, phi,
):  # fmt: skip
    """Adds each leaf's phi to ``acc`` (feature x row): a table row per row, or O(d^2 / 2) per row.

    Rows are the inner loop, so consecutive additions go to different rows instead of
    queueing on one row's feature, and each row still adds leaves in model order.
    """
    for li in range(nl):
        g = ls + li
        d = leaf_n_unique[g]
        fs = leaf_feat_start[g]
        at = leaf_table[g]
        if at >= 0:
            mask = (np.int64(1) << d) - 1
            for i in range(size):
                idx[i] = at + (pat[nn + li, i] & mask) * d
            for j in range(d):
                a = acc[leaf_feature[fs + j]]
                for i in range(size):
                    a[i] += table[idx[i] + j]
            continue
        for i in range(size):
            for j in range(d):
                one[j] = 1.0
            for q in range(leaf_path_start[g], leaf_path_start[g + 1]):
                if went[path_node[q], i] != path_left[q]:
                    one[path_slot[q]] = 0.0
            _leaf_phi(leaf_zero[fs : fs + d], one, d, leaf_value[g], quad_nodes, quad_weights, prod, phi)
            for j in range(d):
                acc[leaf_feature[fs + j], i] += phi[j]


@njit(cache=True, parallel=True)
def _shap_kernel(
    X, out, expected_value, tree_node_start, tree_n_nodes, tree_leaf_start, tree_n_leaves,
    node_feature, node_kind, node_threshold, node_default_left, node_nan_left, node_cat_start, node_cat_len,
    node_left, node_right, node_bit, cat_bits, leaf_n_unique, leaf_feat_start, leaf_feature, leaf_zero,
    leaf_value, leaf_table, leaf_path_start, path_node, path_left, path_slot, table, quad_nodes, quad_weights,
    max_nodes, max_leaves, max_unique, block,
):  # fmt: skip
    """Fills ``out``; blocks of rows run in parallel, trees are the outer loop within a block.

    A tree's nodes and tables stay in cache while the block's rows go through it. Every row
    sums trees, leaves and slots in model order whatever the block, so the numbers do not
    depend on how rows are split between threads.
    """
    n_rows, n_features = X.shape
    n_blocks = (n_rows + block - 1) // block
    for b in prange(n_blocks):
        first = b * block
        size = min(n_rows, first + block) - first
        xt = np.empty((n_features, size))
        for i in range(size):
            for f in range(n_features):
                xt[f, i] = X[first + i, f]
        acc = np.zeros((n_features, size))
        pat = np.empty((max_nodes + max_leaves, size), dtype=np.int64)
        went = np.empty((max_nodes, size), dtype=np.uint8)
        idx = np.empty(size, dtype=np.int64)
        one = np.empty(max_unique)
        prod = np.empty(max_unique)
        phi = np.empty(max_unique)
        for t in range(len(tree_n_nodes)):
            nn = tree_n_nodes[t]
            _route_block(
                xt, size, tree_node_start[t], nn, node_feature, node_kind, node_threshold, node_default_left,
                node_nan_left, node_cat_start, node_cat_len, node_left, node_right, node_bit, cat_bits, pat,
                went,
            )  # fmt: skip
            _add_leaves(
                size, nn, tree_leaf_start[t], tree_n_leaves[t], pat, went, acc, idx, leaf_n_unique,
                leaf_feat_start, leaf_feature, leaf_zero, leaf_value, leaf_table, leaf_path_start, path_node,
                path_left, path_slot, table, quad_nodes, quad_weights, one, prod, phi,
            )  # fmt: skip
        for i in range(size):
            for f in range(n_features):
                out[first + i, f] = acc[f, i]
            out[first + i, n_features] = expected_value


def tree_shap(forest: CompiledForest, X: np.ndarray) -> np.ndarray:
    """(rows, features + 1) float64 contributions, last column the expected value.

    ``X`` is what ``booster.predict`` takes: the model's features in booster order as
    float64, categorical features as their integer codes, NaN for missing. Each row sums
    to the raw (log-odds) score. Runs on numba's threads (``numba.set_num_threads``); the
    numbers do not depend on how many.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != forest.n_features:
        raise ValueError(
            f"X has shape {X.shape}; the model needs a 2-D array with {forest.n_features} columns, "
            "its features in booster.feature_name() order"
        )
    X = np.ascontiguousarray(X, dtype=np.float64)
    out = np.empty((X.shape[0], forest.n_features + 1), dtype=np.float64)  # the kernel fills every cell
    if X.shape[0] == 0:
        return out
    f = forest
    block = min(ROW_BLOCK, max(MIN_ROW_BLOCK, -(-X.shape[0] // numba.get_num_threads())))
    _shap_kernel(
        X, out, f.expected_value, f.tree_node_start, f.tree_n_nodes, f.tree_leaf_start, f.tree_n_leaves,
        f.node_feature, f.node_kind, f.node_threshold, f.node_default_left, f.node_nan_left, f.node_cat_start,
        f.node_cat_len, f.node_left, f.node_right, f.node_bit, f.cat_bits, f.leaf_n_unique, f.leaf_feat_start,
        f.leaf_feature, f.leaf_zero, f.leaf_value, f.leaf_table, f.leaf_path_start, f.path_node, f.path_left,
        f.path_slot, f.table, f.quad_nodes, f.quad_weights, f.max_nodes, f.max_leaves, f.max_unique, block,
    )  # fmt: skip
    return out
