"""Where batch work runs (``slt.executors``): the --executor spec, results bit for bit the same
with no executor, a local process pool and a Dask LocalCluster (``solve``, ``prune``,
``slt prune --json``, a tiny ``slt reproduce`` study), nothing lost when a Dask worker is
killed mid-run, and every finished cell cached as it arrives.

One ``dask-local:2`` cluster is shared by the module (it starts in 1-3 s); the module costs
about 20-30 s on a loaded 2-core machine.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from cli_run import run

from slt.executors import completed, open_executor, parse_executor
from subsetsum import SAMPLERS, solve

distributed = pytest.importorskip("distributed", reason="dask[distributed] is in the test extra")

PRUNE = [
    "prune",
    "--family",
    "mlp",
    "--channels",
    "3",
    "4",
    "2",
    "--eps",
    "0.05",
    "--seed",
    "3",
    "--samples",
    "8",
    "--certify",
    "no",
    "--json",
]
#: width_vs_eps on one family: three cells of about half a second (as in test_reproduce)
SMALL = {
    "width_vs_eps": {
        "families": {"MLP": {"spec": {"family": "mlp"}, "channels": [2, 2, 2], "eps": [0.3, 0.01], "m_max": 128}}
    }
}


@pytest.fixture(scope="module")
def dask2():
    with open_executor("dask-local:2") as executor:
        yield executor


@pytest.fixture(scope="module")
def pool2():
    with open_executor("local", jobs=2, work=2) as executor:
        yield executor


def problems(P: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return SAMPLERS["product"](rng, (P, n)), rng.uniform(-1.0, 1.0, P)


# ------------------------------------------------------------------------------ the spec
@pytest.mark.parametrize(
    "spec, kind, workers, address",
    [
        ("local", "local", None, None),
        ("dask-local:3", "dask-local", 3, None),
        ("tcp://10.0.0.5:8786", "dask", None, "tcp://10.0.0.5:8786"),
        ("dask://scheduler.lab:8786", "dask", None, "tcp://scheduler.lab:8786"),
    ],
)
def test_specs_are_parsed(spec, kind, workers, address):
    assert parse_executor(spec) == (kind, workers, address)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "dask",
        "dask-local",
        "dask-local:0",
        "dask-local:x",
        "dask-local:5000",
        "tcp://host",
        "tcp://host:0",
        "tcp://host:70000",
        "http://host:8786",
        "slurm",
    ],
)
def test_bad_specs_name_the_accepted_forms(spec):
    with pytest.raises(ValueError, match=r"--executor .*(local, dask-local:N|dask-local:N needs)"):
        parse_executor(spec)


def test_bad_spec_on_the_command_line_is_one_line_before_any_work(capsys):
    for argv in (
        PRUNE + ["--executor", "dask-local:0"],
        ["reproduce", "--executor", "slurm", "--out", "x"],
        ["bench", "subsetsum", "--instances", "10", "--executor", "tcp://h"],
    ):
        code, _, err = run(argv, capsys)
        assert code == 2 and err.count("\n") == 1 and "--executor" in err and "Traceback" not in err


def test_missing_dask_is_a_one_line_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    code, _, err = run(PRUNE + ["--executor", "dask-local:2"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert 'needs dask.distributed, which is not installed: pip install "slt-equivariant[dask]"' in err


def test_unreachable_scheduler_is_a_one_line_error(monkeypatch, capsys):
    monkeypatch.setattr("slt.executors.CONNECT_SECONDS", 0.5)
    code, _, err = run(PRUNE + ["--executor", "tcp://127.0.0.1:9"], capsys)
    assert code == 2 and err.count("\n") == 1 and "no Dask scheduler answered" in err


def test_local_runs_in_this_process_unless_a_pool_is_worth_it():
    for jobs, work in ((None, None), (1, 10), (4, 1), (4, 0)):
        with open_executor("local", jobs=jobs, work=work) as executor:
            assert executor is None
    given = ThreadPoolExecutor(1)
    with open_executor(given) as executor:  # an Executor passes through, not closed
        assert executor is given
    assert given.submit(int, "3").result() == 3
    given.shutdown()


def test_completed_yields_every_result_once():
    items = list(range(7))
    assert list(completed(None, abs, [-x for x in items])) == [(i, i) for i in items]  # in order
    with ThreadPoolExecutor(3) as pool:
        assert sorted(completed(pool, abs, [-x for x in items])) == [(i, i) for i in items]


# --------------------------------------------------------------- same results everywhere
@pytest.mark.parametrize("method, eps", [("exact", None), ("exact", 0.01), ("ktree", 1e-4), ("auto", 1e-3)])
def test_solve_is_bit_identical_with_every_executor(method, eps, pool2, dask2):
    a, z = problems(2000, 20, seed=1)
    ref = solve(a, z, eps=eps, method=method, seed=5)
    for executor in (pool2, dask2):
        res = solve(a, z, eps=eps, method=method, seed=5, executor=executor, chunk_rows=377)
        for name in ("masks", "status", "n_used", "errors", "sums", "slack"):
            assert np.array_equal(getattr(res, name), getattr(ref, name)), (executor, name)


def test_solve_chunks_are_tasks_of_the_executor():
    """The oracle: a counting executor sees ceil(P / chunk_rows) tasks (default: about 2^18
    sample values each) and the answer is still the in-process one."""
    from subsetsum.parallel import CHUNK_VALUES

    class Counting(ThreadPoolExecutor):
        calls = 0

        def submit(self, fn, *args, **kwargs):
            Counting.calls += 1
            return super().submit(fn, *args, **kwargs)

    a, z = problems(1000, 16)
    with Counting(2) as pool:
        res = solve(a, z, eps=0.01, executor=pool, chunk_rows=300)
        assert Counting.calls == 4
        Counting.calls = 0
        big = np.broadcast_to(a[0], (CHUNK_VALUES // 16 + 5, 16))
        solve(big, np.zeros(big.shape[0]), eps=0.01, executor=pool)
        assert Counting.calls == 2
    assert np.array_equal(res.masks, solve(a, z, eps=0.01).masks)
    with pytest.raises(ValueError, match="chunk_rows must be an integer >= 1"):
        solve(a, z, executor=ThreadPoolExecutor(1), chunk_rows=0)


def test_prune_is_bit_identical_on_dask(dask2):
    from constructions import basis_from_specs, overparameterize, prune, random_network

    specs = [{"family": "mlp"}] * 3
    bases = [basis_from_specs(a, b) for a, b in zip(specs, specs[1:])]
    target = random_network(bases, [3, 4, 2], np.random.default_rng(0))
    layers = overparameterize(target, 60, seed=1)
    ref = prune(layers, target, eps=0.05)
    res = prune(layers, target, eps=0.05, executor=dask2, chunk_rows=5)
    assert all(np.array_equal(x, y) for x, y in zip(res.masks, ref.masks))


def _without_timings(text: str) -> dict:
    rep = json.loads(text)
    return {k: v for k, v in rep.items() if "seconds" not in k}


def test_slt_prune_json_is_the_same_with_every_executor(capsys):
    outs = []
    for extra in ([], ["--executor", "local"], ["--executor", "dask-local:2"]):
        code, out, _ = run(PRUNE + extra, capsys)
        assert code == 0
        outs.append(_without_timings(out))
    assert outs[0] == outs[1] == outs[2]


def _tables(executor, tmp_path):
    """The assembled tables of the small width_vs_eps study, its cells run on ``executor``."""
    from slt.studies import load
    from slt.studies.cache import Cache
    from slt.studies.runner import execute, plan

    cache = Cache(tmp_path, enabled=False)
    runs = plan(["width_vs_eps"], "tiny", 0, cache, SMALL)
    execute(runs, cache, executor=executor)
    return [t.to_dict() for t in load("width_vs_eps").assemble(runs[0].params, runs[0].results)]


def test_tiny_study_tables_are_the_same_on_dask(tmp_path, dask2):
    assert _tables(None, tmp_path) == _tables(dask2, tmp_path) != []


# ------------------------------------------------------------------- nothing is lost
def test_killing_a_dask_worker_mid_run_loses_nothing(dask2):
    """A worker busy with a chunk is killed (SIGKILL); Dask runs its tasks again elsewhere and
    the answer is the in-process one, bit for bit."""
    client = dask2._client
    a, z = problems(16000, 21, seed=2)
    ref = solve(a, z)
    killed, stop = [], threading.Event()

    def kill_a_busy_worker():
        while not stop.is_set() and not killed:
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.01)

    thread = threading.Thread(target=kill_a_busy_worker)
    thread.start()
    try:
        res = solve(a, z, executor=dask2, chunk_rows=1000)
    finally:
        stop.set()
        thread.join()
    assert killed, "no worker was busy: the run finished before the kill"
    assert np.array_equal(res.masks, ref.masks) and np.array_equal(res.errors, ref.errors)


def test_each_cell_is_cached_as_it_arrives_through_an_executor(tmp_path, dask2):
    """When the progress bar counts k finished cells, k cache entries are on disk (a killed
    client resumes from them)."""
    from slt.studies.cache import Cache
    from slt.studies.runner import execute, plan

    cache = Cache(tmp_path / ".cache")
    runs = plan(["width_vs_eps"], "tiny", 0, cache, SMALL)
    seen = []

    class Bar:
        def set_postfix_str(self, *args, **kwargs):
            pass

        def update(self, k=1):
            seen.append(len(list(cache.directory.glob("*.json"))))

    execute(runs, cache, executor=dask2, bar=Bar())
    assert seen == list(range(1, len(runs[0].cells) + 1)) and len(seen) >= 3


@pytest.mark.slow
def test_an_existing_scheduler_as_the_readme_starts_it(tmp_path, capsys):
    """`dask scheduler` and `dask worker` started by hand (README section 8), then
    `slt prune --executor tcp://HOST:PORT`: the same JSON as in this process (~10 s)."""
    import socket
    import subprocess

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "134217728", "MALLOC_MMAP_THRESHOLD_": "134217728"}
    started = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    ]
    try:
        started.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    address,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                ],
                env=env,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
        code, out, _ = run(PRUNE + ["--executor", address], capsys)
        assert code == 0
        assert _without_timings(out) == _without_timings(run(PRUNE, capsys)[1])
    finally:
        for proc in started:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def test_calibrate_chunks_are_the_same_on_dask(tmp_path, dask2):
    """slt calibrate's trial chunks through a Dask executor give the in-process m^, chunk by chunk."""
    from slt.cmd_calibrate import plan_tasks, run_tasks

    tasks = plan_tasks("confidence", [0.05], 400, 100, 64, 7, "test")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    here = run_tasks(tasks, tmp_path / "a", 1, progress=False, executor=None)
    there = run_tasks(tasks, tmp_path / "b", 2, progress=False, executor=dask2)
    assert len(here) == 4 and all(np.array_equal(here[k], there[k]) for k in here)
