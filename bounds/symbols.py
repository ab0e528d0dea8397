"""The SymPy symbols of the bounds, in the paper's notation (THEORY.md §3-§4).

One module so that every formula uses the same objects (SymPy symbols with equal names
but different assumptions are different symbols).

Network and probability:
    eps     epsilon      target accuracy of the whole network (sup over the unit ball)
    delta   delta        failure probability of the random draw
    eps_pp  epsilon''    accuracy AND failure probability of one random Subset-Sum instance
    eps_l, delta_l       per-layer accuracy and failure probability (Lemma 1)
    l       l            depth of the target network (the random one has depth 2l)
    n_in    n_{i-1}      fields entering target layer i
    n_out   n_i          fields leaving target layer i
    B       |B_i|        number of basis elements (orbitals) of layer i
    B_norm  ||B_i||      basis norm of layer i (THEORY §1)
    B_hid   |B_{X_{i-1}}|  basis size of the first random layer X_{i-1} -> X_{i-1}
    C, c0   C, c_0       the Subset-Sum constant: m >= C ln(2/eps'') (+ c_0, calibrated fit)
    a, b, c a, b, c      the separable requirement m >= a log2(1/eps'') + b ln(1/delta'') + c
    delta_pp  delta''    failure probability of one random Subset-Sum instance (separable form)
    paths   π_i          sign paths solved in layer i: 2 (relu(x), relu(-x)) for i = 1, 1 for i >= 2
    m       m_i          random samples per Subset-Sum instance (per input field)
    W       W            a width budget (inverse questions)

Sizes of the families (closed forms of |B| and ||B||):
    k       kernel size k (cnn, steerable)      grid   torus side m (cnn, steerable)
    n       number of points of S_n (perm)      k_in, k_out  tensor orders (perm, k -> l)
"""

from __future__ import annotations

import sympy as sp

eps = sp.Symbol("epsilon", positive=True)
delta = sp.Symbol("delta", positive=True)
eps_pp = sp.Symbol("epsilon''", positive=True)
eps_l = sp.Symbol("epsilon_l", positive=True)
delta_l = sp.Symbol("delta_l", positive=True)
l = sp.Symbol("l", positive=True, integer=True)
n_in = sp.Symbol("n_{i-1}", positive=True, integer=True)
n_out = sp.Symbol("n_i", positive=True, integer=True)
B = sp.Symbol("|B_i|", positive=True)
B_norm = sp.Symbol("‖B_i‖", positive=True)
B_hid = sp.Symbol("|B_{X_{i-1}}|", positive=True)
C = sp.Symbol("C", positive=True)
c0 = sp.Symbol("c_0", real=True)
a = sp.Symbol("a", positive=True)
b = sp.Symbol("b", positive=True)
c = sp.Symbol("c", real=True)
delta_pp = sp.Symbol("delta''", positive=True)
paths = sp.Symbol("π_i", positive=True, integer=True)
m = sp.Symbol("m_i", positive=True, integer=True)
W = sp.Symbol("W", positive=True)

# sizes
k = sp.Symbol("k", positive=True, integer=True)
grid = sp.Symbol("m", positive=True, integer=True)
n = sp.Symbol("n", positive=True, integer=True)
k_in = sp.Symbol("k_in", nonnegative=True, integer=True)
k_out = sp.Symbol("k_out", nonnegative=True, integer=True)

# names that the LaTeX printer would otherwise mangle
LATEX_NAMES = {
    B: r"|B_i|",
    B_norm: r"\|B_i\|",
    B_hid: r"|B_{X_{i-1}}|",
    eps_pp: r"\varepsilon''",
    eps: r"\varepsilon",
    eps_l: r"\varepsilon_l",
    delta_pp: r"\delta''",
    paths: r"\pi_i",
    k_in: r"k_{\mathrm{in}}",
    k_out: r"k_{\mathrm{out}}",
}

# display-only function: SymPy prints Max(a, b) badly in 2D; max(a, b) prints nicely
_display_max = sp.Function("max")
_display_min = sp.Function("min")


def display(expr: sp.Expr) -> sp.Expr:
    """``expr`` with Max/Min replaced by display-only functions max/min (for printing)."""
    expr = expr.replace(sp.Max, lambda *a: _display_max(*a))
    return expr.replace(sp.Min, lambda *a: _display_min(*a))


def latex(expr: sp.Expr) -> str:
    """LaTeX of ``expr`` in the paper's notation (|B_i|, \\|B_i\\|, ln)."""
    return sp.latex(display(expr), symbol_names=LATEX_NAMES, ln_notation=True)


def pretty(expr: sp.Expr) -> str:
    """Unicode 2D rendering of ``expr`` (SymPy pretty print, no line wrapping)."""
    return sp.pretty(display(expr), use_unicode=True, wrap_line=False)
