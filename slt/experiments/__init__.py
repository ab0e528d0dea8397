"""End-to-end experiments: train a bias-free equivariant classifier on real data, rescale
it to the theorem's setting, prune a random overparameterised network to it (no training
of the random network) and compare accuracies.

``slt experiment digits|ign|mpnn|pensia`` runs one; :func:`run_experiment` is the library entry.
Modules: ``data`` (offline data sets), ``common`` (eps from the margins, the bound's m, the
pruning sweep), ``report`` (labelled tables, figure, JSON), ``mnist`` (28x28 digits: IDX files or
upsampled bundled digits), one module per experiment.
"""

from __future__ import annotations

EXPERIMENTS = ("digits", "ign", "mpnn", "pensia")


def check_name(name: str) -> str:
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}: choose one of {', '.join(EXPERIMENTS)}")
    return name


def run_experiment(
    name: str, quick: bool = False, seed: int = 0, out=None, progress: bool = False, config=None, executor=None
) -> dict:
    """Run experiment ``name`` and write its tables, figure and JSON under ``out`` (default
    reports/experiments); returns the result dict (JSON-serialisable). ``config``
    overrides entries of the experiment's configuration (tests use tiny ones);
    ``progress`` draws the progress display on stderr (``slt.progress``); ``executor``
    (a ``concurrent.futures.Executor`` or None) runs the Subset-Sum batches of every
    ``prune`` (same results whatever it is)."""
    import importlib

    from .common import using_executor

    module = importlib.import_module(f"slt.experiments.{check_name(name)}")
    with blas_threads(BLAS_THREADS), using_executor(executor):
        return module.run(quick=quick, seed=seed, out=out, progress=progress, config=config)


#: BLAS threads during an experiment. The experiments' matrix products are small (a few
#: MFLOP); multi-threaded OpenBLAS spends more time spinning than computing on them, and on
#: a busy 2-core machine a conv layer's coefficient gradient was measured 90x slower with
#: the default threads than with one (342 ms vs 3.7 ms CPU, batch 32, C4 regular 8 -> 8).
BLAS_THREADS = 1


def blas_threads(count: int):
    """Context manager limiting BLAS threads (threadpoolctl, shipped with scikit-learn);
    a no-op when threadpoolctl is not installed."""
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=count, user_api="blas")


def summary_rows(names=EXPERIMENTS, quick: bool = False, seed: int = 0, out=None) -> list[dict]:
    """One summary row per pruned model of each experiment (for ``slt reproduce``): target
    accuracy, pruned accuracy at the bound's m, the bound's m, the m run, the first swept m
    within 0.5 pp, eps, max output error, kept / random parameters, Subset-Sum seconds,
    equivariance error. Each experiment also writes its own files under ``out``."""
    rows = []
    for name in names:
        rows += run_experiment(name, quick=quick, seed=seed, out=out)["summary"]
    return rows


from .report import DEFAULT_OUT  # noqa: E402

__all__ = ["DEFAULT_OUT", "EXPERIMENTS", "check_name", "run_experiment", "summary_rows"]
