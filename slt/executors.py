"""Where batch work runs: ``--executor SPEC``, the one place in the toolkit that knows Dask.

The libraries take ``executor=None`` (run in this process) or any
``concurrent.futures.Executor`` (``subsetsum.solve``, ``constructions.prune``); the
study runner and the commands get theirs from a spec:

    local             this machine (default): a process pool of --jobs workers where the
                      command runs one (``slt reproduce``), in this process otherwise
    dask-local:N      a dask.distributed LocalCluster of N one-thread worker processes,
                      started and shut down by the command (to try Dask; the tests)
    tcp://HOST:PORT   an existing Dask scheduler (``dask scheduler`` on one machine,
    dask://HOST:PORT  ``dask worker tcp://HOST:8786`` on each of the others)

Dask is an optional extra (``pip install "slt-equivariant[dask]"``); without it a Dask
spec is a one-line error. A command wires it in three lines (``slt calibrate`` too)::

    add_executor_argument(parser)                                   # --executor SPEC
    with open_executor(args.executor, jobs=args.jobs, work=len(tasks)) as executor:
        for index, result in completed(executor, fn, tasks):        # as each finishes
            ...

``open_executor`` yields None (run in this process), a local pool (``slt.pool``: at most
min(jobs, work, cores) processes that die with the command) or a Dask executor, and
closes it on exit; on an exception or Ctrl-C the queued tasks are cancelled and the local
workers or the LocalCluster are shut down, so nothing keeps running. A Dask worker that
dies has its tasks run again elsewhere (Dask's scheduler retries them); results never
depend on which worker ran what.
"""

from __future__ import annotations

import contextlib
import logging
import re
from concurrent.futures import Executor, as_completed
from typing import NamedTuple

from .pool import MAX_JOBS, check_jobs, close_pool, kill_processes, local_pool, pool_size

#: seconds to wait for an existing scheduler before giving up with a one-line error
CONNECT_SECONDS = 10
#: Worker settings of the LocalCluster (README "Beyond one machine" gives the same for
#: `dask worker`). glibc: Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, and
#: even without it a worker's allocator kept returning the solvers' large temporaries to
#: the system (3,200 page faults per 1,000-problem chunk against 15 in a plain process: 2x
#: the CPU); both thresholds at 128 MB keep them, as a plain process does. Dask's
#: statistical profiler (a stack sample of every thread every 10 ms) is off.
MALLOC_BYTES = str(1 << 27)
WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": MALLOC_BYTES,
    "distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": MALLOC_BYTES,
    "distributed.worker.profile.enabled": False,
}
SPEC_HELP = (
    "where the work runs: local (this machine: --jobs processes where the command uses a pool, "
    "else this process; default), dask-local:N (a Dask LocalCluster of N worker processes), "
    "tcp://HOST:PORT or dask://HOST:PORT (an existing Dask scheduler); results are the same whatever "
    "the executor"
)
_ADDRESS = re.compile(r"^(?:dask|tcp)://([^\s:/]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$")


class ExecutorSpec(NamedTuple):
    """A parsed --executor value: kind "local", "dask-local" (``workers``) or "dask" (``address``)."""

    kind: str
    workers: int | None = None
    address: str | None = None


def parse_executor(spec: str, flag: str = "--executor") -> ExecutorSpec:
    """Parse a spec (module docstring); one-line ValueError naming the accepted forms."""
    text = str(spec).strip()
    if text == "local":
        return ExecutorSpec("local")
    if text.startswith("dask-local:"):
        count = text.split(":", 1)[1]
        if not count.isdigit() or not 1 <= int(count) <= MAX_JOBS:
            raise ValueError(f"{flag} dask-local:N needs N = worker processes from 1 to {MAX_JOBS}, got {spec!r}")
        return ExecutorSpec("dask-local", workers=int(count))
    match = _ADDRESS.match(text)
    if match and 1 <= int(match.group(2)) <= 65535:
        return ExecutorSpec("dask", address=f"tcp://{match.group(1)}:{int(match.group(2))}")
    raise ValueError(
        f"{flag} must be local, dask-local:N (N from 1 to {MAX_JOBS}) or tcp://HOST:PORT / "
        f"dask://HOST:PORT (port 1..65535), got {spec!r}"
    )


def add_executor_argument(parser, default: str = "local") -> None:
    """Add ``--executor SPEC`` (default local) to an argparse parser."""
    parser.add_argument("--executor", metavar="SPEC", default=default, help=f"{SPEC_HELP} (default {default})")


@contextlib.contextmanager
def open_executor(spec="local", jobs: int | None = None, work: int | None = None):
    """The Executor of ``spec`` (a string, or an Executor passed through unchanged and not
    closed), closed on exit. ``local``: None (this process) if ``jobs`` is None or 1 or
    there is at most one task, else a local process pool of ``pool_size(jobs, work)``
    processes. ``jobs`` only sizes the local pool; a Dask cluster has its own workers."""
    if isinstance(spec, Executor) or spec is None:
        yield spec
        return
    parsed = parse_executor(spec)
    if jobs is not None:
        check_jobs(jobs)
    if parsed.kind == "local":
        size = pool_size(jobs, work) if jobs is not None else 1
        if size <= 1:
            yield None
            return
        with _closing_pool(local_pool(size)) as pool:
            yield pool
        return
    with _dask_client(parsed) as client:
        yield client.get_executor(pure=False)


@contextlib.contextmanager
def _closing_pool(pool):
    try:
        yield pool
    except BaseException:
        close_pool(pool, interrupted=True)
        raise
    close_pool(pool)


@contextlib.contextmanager
def _dask_client(parsed: ExecutorSpec):
    """A dask.distributed Client on a LocalCluster started here, or on an existing scheduler."""
    distributed = _import_distributed(parsed)
    if parsed.kind == "dask-local":
        with _local_cluster(distributed, parsed.workers) as cluster, distributed.Client(cluster) as client:
            client.register_plugin(_interrupt_plugin(distributed)())
            try:
                yield client
            except BaseException:  # kill the workers first: one inside a solver would finish its task
                kill_processes([nanny.pid for nanny in cluster.workers.values()])
                raise
        return
    try:
        client = distributed.Client(parsed.address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError) as exc:
        raise ValueError(
            f"--executor {parsed.address}: no Dask scheduler answered within {CONNECT_SECONDS} s "
            f"({type(exc).__name__}); start one with `dask scheduler` and workers with "
            f"`dask worker {parsed.address}`"
        ) from None
    with client:
        yield client


def _local_cluster(distributed, workers: int):
    """A LocalCluster of ``workers`` one-thread processes on this machine (a context manager)."""
    import dask

    with dask.config.set(WORKER_CONFIG):
        # the scheduler's HTTP server on a free port (a fixed one clashes with other clusters)
        return distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )


def _interrupt_plugin(distributed):
    """A WorkerPlugin making the LocalCluster's workers (and the ones the nanny restarts)
    ignore Ctrl-C: the terminal sends it to the whole process group, and the command
    alone answers it (it shuts the cluster down), instead of each worker printing a traceback."""
    from .pool import ignore_interrupts

    class IgnoreInterrupts(distributed.WorkerPlugin):
        name = "slt-ignore-interrupts"

        def setup(self, worker):
            ignore_interrupts()

    return IgnoreInterrupts


def _import_distributed(parsed: ExecutorSpec):
    try:
        import distributed
    except ImportError:
        what = f"dask-local:{parsed.workers}" if parsed.kind == "dask-local" else parsed.address
        raise ValueError(
            f"--executor {what} needs dask.distributed, which is not installed: "
            f'pip install "slt-equivariant[dask]" (or pip install "dask[distributed]")'
        ) from None
    return distributed


def completed(executor, fn, items):
    """Yield (index, fn(item)) for every item: in this process and in order if ``executor``
    is None, else as the Executor's tasks finish. Leaving the loop early (an exception,
    Ctrl-C) cancels the tasks not started yet. ``fn`` must be picklable (module-level) for
    process pools and Dask."""
    items = list(items)
    if executor is None:
        for index, item in enumerate(items):
            yield index, fn(item)
        return
    futures = {executor.submit(fn, item): index for index, item in enumerate(items)}
    try:
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        for future in futures:
            future.cancel()


def executor_label(spec, jobs: int | None = None, work: int | None = None) -> str:
    """How a run of ``spec`` executes, for the command's report (e.g. "2 local processes")."""
    if not isinstance(spec, str):
        return "in this process" if spec is None else type(spec).__name__
    parsed = parse_executor(spec)
    if parsed.kind == "local":
        size = pool_size(jobs, work) if jobs is not None else 1
        return "in this process" if size <= 1 else f"{'up to ' if work is None else ''}{size} local processes"
    if parsed.kind == "dask-local":
        return f"Dask LocalCluster of {parsed.workers} worker{'s' if parsed.workers > 1 else ''}"
    return f"Dask scheduler {parsed.address}"
