"""The local process pool: bounded by the work and the cores, dying with its parent.

``local_pool(workers)`` is a ``concurrent.futures.ProcessPoolExecutor`` whose worker
processes

* ignore Ctrl-C (SIGINT): the terminal sends it to the whole process group, and only the
  parent decides what happens (``close_pool(pool, interrupted=True)`` kills the workers,
  so no task runs on after the command has stopped);
* die with their parent, even when the parent is killed with SIGKILL: on Linux the kernel
  sends them SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``, set through
  ctypes); everywhere, a watchdog thread exits the worker within ``WATCH_SECONDS`` once
  its parent process is gone (its parent pid changes when it is re-parented).

``pool_size(jobs, work)`` = min(jobs, work items, cores): a pool never starts more
processes than there are tasks or cores, and ``check_jobs`` refuses a --jobs outside
1..MAX_JOBS with the accepted range.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from concurrent.futures import InvalidStateError, ProcessPoolExecutor

#: largest --jobs accepted (more processes than this on one machine is a typing error)
MAX_JOBS = 1024
#: seconds between two looks of a worker's watchdog at its parent
WATCH_SECONDS = 0.5
#: prctl option: signal sent to this process when its parent dies (linux/prctl.h)
PR_SET_PDEATHSIG = 1
#: seconds an interrupted pool's manager thread gets to notice its killed workers
MANAGER_JOIN_SECONDS = 5.0


def cpu_count() -> int:
    """Cores this process may run on (its CPU affinity where the system has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def check_jobs(jobs, flag: str = "--jobs") -> int:
    """``jobs`` as an int in 1..MAX_JOBS (``groups.check_int``: one-line ValueError naming ``flag``)."""
    from groups import check_int

    try:
        return check_int(flag, jobs, 1, MAX_JOBS)
    except ValueError as exc:
        raise ValueError(f"{exc} (worker processes; this machine has {cpu_count()} cores)") from None


def pool_size(jobs: int, work: int | None = None) -> int:
    """Processes a pool of ``jobs`` workers starts for ``work`` tasks: min(jobs, work, cores),
    at least 1 (``jobs`` checked by ``check_jobs``)."""
    size = min(check_jobs(jobs), cpu_count())
    return max(1, min(size, work)) if work is not None else size


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool of ``workers`` processes that ignore Ctrl-C and die with this process."""
    return ProcessPoolExecutor(max_workers=workers, initializer=_worker_init, initargs=(os.getpid(),))


def close_pool(pool: ProcessPoolExecutor, interrupted: bool = False) -> None:
    """Shut the pool down: wait for its tasks, or (``interrupted``: an exception or Ctrl-C
    in the parent) cancel the queued ones and kill the workers at once."""
    if not interrupted:
        pool.shutdown(wait=True)
        return
    processes = list(getattr(pool, "_processes", None) or {})  # pids, before shutdown forgets them
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    with _quiet_cancelled_futures(manager):
        kill_processes(processes)
        if manager is not None:
            manager.join(timeout=MANAGER_JOIN_SECONDS)


@contextlib.contextmanager
def _quiet_cancelled_futures(manager):
    """Python < 3.12: when the workers die, the pool's manager thread sets BrokenProcessPool
    on every pending future and raises InvalidStateError on one already cancelled (CPython
    3.12 ignores it there). Ignore exactly that error of exactly that thread while it
    finishes, so Ctrl-C prints one line and no thread traceback."""
    previous = threading.excepthook

    def hook(args):
        if not (args.thread is manager and issubclass(args.exc_type, InvalidStateError)):
            previous(args)

    threading.excepthook = hook
    try:
        yield
    finally:
        if manager is None or not manager.is_alive():
            threading.excepthook = previous


def kill_processes(pids) -> None:
    """SIGKILL each process id (None and processes already gone are skipped)."""
    for pid in pids:
        if pid is None:
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def ignore_interrupts() -> None:
    """Ignore Ctrl-C (SIGINT) in this worker process: the parent handles it (main thread only)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_init(owner: int) -> None:
    """Initializer of every worker: ignore SIGINT, die with the parent (module docstring)."""
    ignore_interrupts()
    parent = os.getppid()  # the owner, or a fork server started by it
    _set_parent_death_signal()
    if (parent != owner and not _alive(owner)) or os.getppid() != parent:
        os._exit(1)  # the owner died before the watch was set
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="slt-parent-watch").start()


def _set_parent_death_signal() -> bool:
    """Linux: ask the kernel for SIGKILL when the parent dies. False where unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """Exit this worker as soon as its parent is gone (portable fallback of the death signal)."""
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def _alive(pid: int) -> bool:
    """True if process ``pid`` exists and (where /proc tells) is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
