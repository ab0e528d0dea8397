"""The bad-input table (issue 14): every command and public function refuses bad input with
one clear line, in time, and never returns a silently wrong result.

Each CLI case runs ``slt`` in-process as a user would and asserts: exit status 2, nothing on
stdout, exactly one line on stderr (``slt <cmd>: error: ...``, no traceback) containing the
needles (the flag or argument, the value, the accepted range). Each API case asserts a
ValueError or TypeError whose one-line message contains the needles. Every case runs under a
deadline (no hang). Sizes that would not fit in memory are refused before anything is
allocated: those cases run with the available memory pinned to 4 GB, so the refusal does not
depend on the machine, and the sizes are so large that an allocation attempt would fail at
once instead of thrashing. Cases with a correct answer (empty batches, n = 0) check it
against the definition.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import numpy as np
import pytest
from cli_run import run

#: seconds per case (a refusal takes well under one; the deadline catches hangs)
DEADLINE = 90
#: available memory during the memory cases (bytes)
PINNED_MEMORY = 4 * 10**9


@pytest.fixture(autouse=True)
def deadline():
    def expired(*_):
        raise TimeoutError(f"no answer within {DEADLINE} s: a hang")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(DEADLINE)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.fixture
def pinned_memory(monkeypatch):
    import groups.memory

    monkeypatch.setattr(groups.memory, "available_memory", lambda: PINNED_MEMORY)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A pruned-network file, a target file, dense weights and malformed files (MLP, fast)."""
    from slt.cli import main

    d = tmp_path_factory.mktemp("bad_inputs")
    mlp = ["--family", "mlp", "--channels", "2", "3", "2"]
    assert (
        main(
            [
                "prune",
                *mlp,
                "--eps",
                "0.1",
                "--m",
                "4",
                "--seed",
                "0",
                "--save",
                str(d / "p.npz"),
                "--json",
                "--samples",
                "8",
            ]
        )
        == 0
    )
    assert main(["export", str(d / "p.npz"), "--out", str(d / "dense.npz"), "--json"]) == 0
    dense = np.load(d / "dense.npz")
    np.savez(d / "w.npz", layer_1=dense["target_1"], layer_2=dense["target_2"])
    np.savez(d / "wc.npz", layer_1=dense["target_1"].astype(complex), layer_2=dense["target_2"])
    assert main(["import-weights", str(d / "w.npz"), *mlp, "--out", str(d / "t.npz"), "--json"]) == 0
    raw = (d / "p.npz").read_bytes()
    (d / "empty.npz").write_bytes(b"")
    (d / "text.npz").write_bytes(b"not a zip file")
    (d / "cut.npz").write_bytes(raw[: len(raw) // 2])
    arrays = dict(np.load(d / "p.npz"))
    meta = json.loads(str(arrays["meta"]))
    meta["channels"] = [2, 4, 2]  # disagrees with the arrays' shapes
    np.savez(d / "meta.npz", **{**arrays, "meta": np.array(json.dumps(meta))})
    (d / "afile").write_text("a file, not a directory")
    np.savez(d / "huge_target.npz", layer_1=np.full((2, 2, 1), 1e300))  # finite, but a forward pass overflows
    return d


MLP = ["--family", "mlp"]
NET = ["--family", "mlp", "--channels", "2", "2"]
F3 = ["--family", "mlp", "--channels", "2", "3", "2"]

# (id, argv with {d} = the fixtures' directory, needles that must all be in the error line)
CLI = [
    # family flags (basis, width, prune share them)
    ("basis grid 0", ["basis", "--family", "steerable", "--grid", "0"], ["grid", ">= 1", "got 0"]),
    ("basis grid negative", ["basis", "--family", "cnn", "--grid", "-3"], ["grid", ">= 1", "got -3"]),
    ("basis kernel 0", ["basis", "--family", "steerable", "--kernel", "0"], ["kernel", ">= 1", "got 0"]),
    ("basis kernel > grid", ["basis", "--family", "cnn", "--grid", "5", "--kernel", "7"], ["kernel size 7", "grid 5"]),
    (
        "basis even kernel D4",
        ["basis", "--family", "steerable", "--group", "D4", "--kernel", "4"],
        ["kernel size 4", "odd"],
    ),
    ("basis group C8", ["basis", "--family", "steerable", "--group", "C8"], ["C8", "C1, C2, C4"]),
    ("basis field foo", ["basis", "--family", "steerable", "--field", "foo"], ["'foo'", "regular, trivial"]),
    ("basis perm n 0", ["basis", "--family", "perm", "--n", "0"], ["n must be an integer >= 1", "got 0"]),
    ("basis order 7", ["basis", "--family", "perm", "--n", "4", "--orders", "7", "1"], ["order", "0..6", "got 7"]),
    ("basis order -1", ["basis", "--family", "perm", "--n", "4", "--orders", "-1", "1"], ["order", "0..6", "-1"]),
    (
        "basis three orders",
        ["basis", "--family", "perm", "--n", "4", "--orders", "1", "1", "1"],
        ["--orders", "1 or 2 values", "got 3"],
    ),
    ("basis subgroup point", ["basis", "--family", "perm", "--n", "4", "--subgroup", "(1 5)"], ["point 5", "1..4"]),
    ("basis subgroup syntax", ["basis", "--family", "perm", "--n", "4", "--subgroup", "X"], ["subgroup", "'X'"]),
    ("basis fields 0", ["basis", *MLP, "--fields-per-layer", "0"], ["--fields-per-layer", ">= 1", "got 0"]),
    ("basis seed -1", ["basis", *MLP, "--seed", "-1"], ["--seed", ">= 0", "got -1"]),
    ("basis grid for mlp", ["basis", *MLP, "--grid", "5"], ["--grid", "mlp", "cnn, steerable"]),
    ("basis perm without n", ["basis", "--family", "perm"], ["--n N"]),
    ("basis n not an int", ["basis", "--family", "perm", "--n", "abc"], ["--n", "'abc'", "invalid int"]),
    ("basis unknown flag", ["basis", *MLP, "--colour", "red"], ["unrecognized arguments", "--colour"]),
    ("no command", [], ["COMMAND"]),
    ("unknown command", ["frobnicate"], ["'frobnicate'", "choose from"]),
    # sizes checked against memory before allocating (pinned 4 GB)
    (
        "basis perm n 5000 memory",
        ["basis", "--family", "perm", "--n", "5000", "--orders", "2", "2"],
        ["S_5000", "GB", "of memory available"],
    ),
    (
        "basis grid 100000 memory",
        ["basis", "--family", "steerable", "--grid", "100000"],
        ["100000x100000", "GB", "memory available"],
    ),
    (
        "basis fields 1e8 memory",
        ["basis", *MLP, "--fields-per-layer", "100000000"],
        ["100,000,000 x 100,000,000", "GB"],
    ),
    ("subsetsum n 1e10 memory", ["subsetsum", "--n", "10000000000"], ["--n 10000000000", "GB", "memory available"]),
    ("prune m 1e9 memory", ["prune", *NET, "--eps", "0.1", "--m", "1000000000"], ["2,000,000,000", "GB", "smaller m"]),
    (
        "prune channels 1e5 memory",
        ["prune", "--family", "mlp", "--channels", "100000", "100000", "--eps", "0.1"],
        ["channels [100000, 100000]", "GB"],
    ),
    (
        "prune samples 1e9 memory",
        ["prune", *NET, "--eps", "0.1", "--samples", "1000000000"],
        ["1,000,000,000 unit-sphere inputs", "GB", "--samples"],
    ),
    (
        "bench subsetsum n 1e10 memory",
        ["bench", "subsetsum", "--n", "10000000000", "--instances", "10"],
        ["--n 10,000,000,000", "GB"],
    ),
    ("bench prune grid 1e5 memory", ["bench", "prune", "--grid", "100000"], ["100000x100000", "GB"]),
    # slt subsetsum
    ("subsetsum n -1", ["subsetsum", "--n", "-1"], ["--n", ">= 0", "got -1"]),
    ("subsetsum eps -1", ["subsetsum", "--eps", "-1"], ["--eps", "> 0", "got -1.0"]),
    ("subsetsum eps 0", ["subsetsum", "--eps", "0"], ["--eps", "> 0", "got 0.0"]),
    ("subsetsum eps nan", ["subsetsum", "--eps", "nan"], ["--eps", "> 0", "nan"]),
    ("subsetsum eps inf", ["subsetsum", "--eps", "inf"], ["--eps", "> 0", "inf"]),
    ("subsetsum target nan", ["subsetsum", "--targets", "nan"], ["--targets value 1", "finite", "nan"]),
    ("subsetsum sample inf", ["subsetsum", "--samples", "inf", "0.5"], ["--samples value 1", "finite", "inf"]),
    ("subsetsum overflow", ["subsetsum", "--samples", "1e308", "1e308"], ["overflows", "below 1e300"]),
    ("subsetsum seed -1", ["subsetsum", "--seed", "-1"], ["--seed", "0..2147483647", "got -1"]),
    ("subsetsum seed 2^31", ["subsetsum", "--seed", "2147483648"], ["--seed", "0..2147483647"]),
    ("subsetsum workers 0", ["subsetsum", "--workers", "0"], ["--workers", ">= 1", "got 0"]),
    ("subsetsum time limit 0", ["subsetsum", "--method", "cpsat", "--time-limit", "0"], ["--time-limit", "> 0"]),
    ("subsetsum ktree without eps", ["subsetsum", "--method", "ktree"], ["ktree", "needs an eps"]),
    ("subsetsum n above cap", ["subsetsum", "--n", "60"], ["n = 60", "cap n <= 44", "cpsat"]),
    ("subsetsum min-cardinality exact", ["subsetsum", "--min-cardinality"], ["min_cardinality", "cpsat"]),
    # slt width
    ("width eps 0", ["width", *NET, "--eps", "0"], ["--eps", "[1e-300, 1)", "0.0"]),
    ("width eps 1", ["width", *NET, "--eps", "1"], ["--eps", "[1e-300, 1)", "1.0"]),
    ("width eps nan", ["width", *NET, "--eps", "nan"], ["--eps", "[1e-300, 1)", "nan"]),
    ("width delta 2", ["width", *NET, "--eps", "0.1", "--delta", "2"], ["--delta", "[1e-300, 1)", "2.0"]),
    ("width C 0", ["width", *NET, "--eps", "0.1", "--C", "0"], ["--C must be > 0", "0.0"]),
    ("width C inf", ["width", *NET, "--eps", "0.1", "--C", "inf"], ["--C must be a number > 0", "inf"]),
    ("width c0 nan", ["width", *NET, "--eps", "0.1", "--C", "1", "--c0", "nan"], ["--c0", "finite", "nan"]),
    ("width c0 without C", ["width", *NET, "--eps", "0.1", "--c0", "1"], ["--c0 needs --C"]),
    ("width channels 0", ["width", "--family", "mlp", "--channels", "0", "5", "--eps", "0.1"], ["--channels", ">= 1"]),
    ("width one channel", ["width", "--family", "mlp", "--channels", "5", "--eps", "0.1"], ["at least 2 values"]),
    ("width budget 0", ["width", *NET, "--solve-eps", "--width", "0"], ["--width", ">= 1", "got 0"]),
    ("width budget alone", ["width", *NET, "--width", "10"], ["--solve-eps"]),
    # slt prune
    ("prune eps 0", ["prune", *NET, "--eps", "0"], ["--eps", "[1e-300, 1)", "0.0"]),
    ("prune eps 1", ["prune", *NET, "--eps", "1"], ["--eps", "[1e-300, 1)", "1.0"]),
    ("prune eps nan", ["prune", *NET, "--eps", "nan"], ["--eps", "[1e-300, 1)", "nan"]),
    ("prune delta 0", ["prune", *NET, "--eps", "0.1", "--delta", "0"], ["--delta", "[1e-300, 1)", "0.0"]),
    ("prune eps subnormal", ["prune", *NET, "--eps", "5e-324", "--m", "4"], ["--eps", "[1e-300, 1)", "5e-324"]),
    (
        "import-weights extra layer",
        ["import-weights", "{d}/w.npz", "--family", "mlp", "--channels", "2", "3", "--out", "{d}/x_extra.npz"],
        ["also holds layer_2", "describes 1 layers"],
    ),
    (
        "prune target 1e300",
        ["prune", *NET, "--eps", "0.1", "--m", "4", "--target", "{d}/huge_target.npz"],
        ["layer_1 has a coefficient of size 1e+300", "rescale"],
    ),
    ("prune m with C", ["prune", *NET, "--eps", "0.1", "--m", "4", "--C", "3"], ["--C only sets", "with --m"]),
    (
        "prune field and fields",
        [
            "prune",
            "--family",
            "steerable",
            "--channels",
            "1",
            "1",
            "--fields",
            "regular",
            "--field",
            "trivial",
            "--eps",
            "0.1",
            "--m",
            "4",
        ],
        ["--field and --fields"],
    ),
    ("width delta subnormal", ["width", *NET, "--eps", "0.1", "--delta", "5e-324"], ["--delta", "[1e-300, 1)"]),
    ("reproduce nothing left", ["reproduce", "--only", "experiments", "--no-experiments"], ["leaves no study"]),
    ("reproduce contradiction", ["reproduce", "--experiments", "full", "--no-experiments"], ["contradicts"]),
    (
        "bench subsetsum chunk-rows in process",
        ["bench", "subsetsum", "--instances", "10", "--eps", "0.01", "--chunk-rows", "5"],
        ["--chunk-rows", "--executor local"],
    ),
    ("prune C -1", ["prune", *NET, "--eps", "0.1", "--C", "-1"], ["--C", "> 0", "-1.0"]),
    ("prune m 0", ["prune", *NET, "--eps", "0.1", "--m", "0"], ["--m", ">= 1", "got 0"]),
    ("prune m count", ["prune", *NET, "--eps", "0.1", "--m", "1", "2", "3"], ["--m", "got 3"]),
    ("prune channels 0", ["prune", "--family", "mlp", "--channels", "0", "2", "--eps", "0.1"], ["--channels", ">= 1"]),
    ("prune seed -1", ["prune", *NET, "--eps", "0.1", "--seed", "-1"], ["--seed", ">= 0", "got -1"]),
    ("prune samples 0", ["prune", *NET, "--eps", "0.1", "--samples", "0"], ["--samples", ">= 1", "got 0"]),
    (
        "prune save missing dir",
        ["prune", *NET, "--eps", "0.1", "--save", "{d}/no/such/dir/x.npz"],
        ["--save", "does not exist"],
    ),
    ("prune save unwritable", ["prune", *NET, "--eps", "0.1", "--save", "/proc/x.npz"], ["--save", "cannot write"]),
    ("prune save empty", ["prune", *NET, "--eps", "0.1", "--save", ""], ["--save", "not a file name"]),
    ("prune save dir", ["prune", *NET, "--eps", "0.1", "--save", "{d}"], ["--save", "is a directory"]),
    ("prune target missing", ["prune", *NET, "--eps", "0.1", "--target", "{d}/none.npz"], ["none.npz", "no such file"]),
    ("prune target empty", ["prune", *NET, "--eps", "0.1", "--target", ""], ["target file", "''"]),
    ("prune target is pruned file", ["prune", *F3, "--eps", "0.1", "--target", "{d}/p.npz"], ["no array 'layer_1'"]),
    (
        "prune target wrong channels",
        ["prune", "--family", "mlp", "--channels", "3", "3", "2", "--eps", "0.1", "--target", "{d}/t.npz"],
        ["layer_1", "shape"],
    ),
    # slt verify
    ("verify missing", ["verify", "{d}/none.npz"], ["none.npz", "no such file"]),
    ("verify empty", ["verify", "{d}/empty.npz"], ["empty.npz", "empty (0 bytes)"]),
    ("verify text", ["verify", "{d}/text.npz"], ["text.npz", "not an .npz archive"]),
    ("verify truncated", ["verify", "{d}/cut.npz"], ["cut.npz", "not an .npz archive"]),
    ("verify weights file", ["verify", "{d}/w.npz"], ["w.npz", "no 'meta' array"]),
    ("verify target file", ["verify", "{d}/t.npz"], ["t.npz", "meta lacks"]),
    ("verify meta disagrees", ["verify", "{d}/meta.npz"], ["meta.npz", "target_1"]),
    ("verify directory", ["verify", "{d}"], ["is a directory"]),
    ("verify samples 0", ["verify", "{d}/p.npz", "--samples", "0"], ["--samples", ">= 1", "got 0"]),
    # slt export
    ("export out missing dir", ["export", "{d}/p.npz", "--out", "{d}/no/such/x.npz"], ["--out", "does not exist"]),
    ("export out is dir", ["export", "{d}/p.npz", "--out", "{d}"], ["--out", "is a directory"]),
    ("export out empty", ["export", "{d}/p.npz", "--out", ""], ["--out", "not a file name"]),
    ("export missing file", ["export", "{d}/none.npz", "--out", "{d}/x.npz"], ["none.npz", "no such file"]),
    ("export weights file", ["export", "{d}/w.npz", "--out", "{d}/x.npz"], ["w.npz", "layer_1"]),
    (
        "export pruned form of target",
        ["export", "{d}/t.npz", "--out", "{d}/x.onnx", "--format", "onnx", "--form", "pruned"],
        ["--form pruned", "target file"],
    ),
    # slt import-weights
    (
        "import out missing dir",
        ["import-weights", "{d}/w.npz", *F3, "--out", "{d}/no/t.npz"],
        ["--out", "does not exist"],
    ),
    (
        "import tolerance -1",
        ["import-weights", "{d}/w.npz", *F3, "--out", "{d}/t2.npz", "--tolerance", "-1"],
        ["--tolerance", ">= 0", "-1.0"],
    ),
    (
        "import tolerance nan",
        ["import-weights", "{d}/w.npz", *F3, "--out", "{d}/t2.npz", "--tolerance", "nan"],
        ["--tolerance", "nan"],
    ),
    ("import missing weights", ["import-weights", "{d}/none.npz", *F3, "--out", "{d}/t2.npz"], ["no such file"]),
    (
        "import names count",
        ["import-weights", "{d}/w.npz", *F3, "--out", "{d}/t2.npz", "--names", "a"],
        ["--names", "2", "got 1"],
    ),
    (
        "import wrong shape",
        ["import-weights", "{d}/w.npz", "--family", "mlp", "--channels", "3", "3", "2", "--out", "{d}/t2.npz"],
        ["layer 1", "shape"],
    ),
    ("import complex weights", ["import-weights", "{d}/wc.npz", *F3, "--out", "{d}/t2.npz"], ["real", "complex"]),
    # slt experiment: output checked before anything runs
    ("experiment unknown", ["experiment", "foo"], ["'foo'", "digits, ign, mpnn"]),
    ("experiment seed -1", ["experiment", "digits", "--seed", "-1"], ["--seed", ">= 0", "got -1"]),
    (
        "experiment out missing parent",
        ["experiment", "mpnn", "--quick", "--out", "{d}/no/such/dir"],
        ["--out", "does not exist"],
    ),
    (
        "experiment out unwritable",
        ["experiment", "mpnn", "--quick", "--out", "/proc/slt-out"],
        ["--out", "cannot write"],
    ),
    ("experiment out is a file", ["experiment", "mpnn", "--quick", "--out", "{d}/afile"], ["--out", "not a directory"]),
    ("experiment out empty", ["experiment", "mpnn", "--quick", "--out", ""], ["--out", "not a directory name"]),
    # slt reproduce: output checked before anything runs
    ("reproduce jobs 0", ["reproduce", "--preset", "tiny", "--jobs", "0"], ["--jobs", "1..1024", "got 0"]),
    ("reproduce seed -1", ["reproduce", "--preset", "tiny", "--seed", "-1"], ["--seed", ">= 0", "got -1"]),
    ("reproduce unknown study", ["reproduce", "--only", "foo"], ["unknown study foo", "basis_sizes"]),
    ("reproduce quick and tiny", ["reproduce", "--quick", "--preset", "tiny"], ["--quick conflicts"]),
    (
        "reproduce out unwritable",
        ["reproduce", "--preset", "tiny", "--out", "/proc/slt-out"],
        ["--out", "cannot write"],
    ),
    ("reproduce out is a file", ["reproduce", "--preset", "tiny", "--out", "{d}/afile"], ["--out", "not a directory"]),
    (
        "reproduce out missing parent",
        ["reproduce", "--preset", "tiny", "--out", "{d}/no/such/dir"],
        ["--out", "does not exist"],
    ),
    ("reproduce out empty", ["reproduce", "--preset", "tiny", "--out", ""], ["--out", "not a directory name"]),
    # slt bench
    ("bench subsetsum n -1", ["bench", "subsetsum", "--n", "-1"], ["--n", ">= 0", "got -1"]),
    (
        "bench subsetsum instances 0",
        ["bench", "subsetsum", "--instances", "0"],
        ["--instances", "1..100000000", "got 0"],
    ),
    (
        "bench subsetsum instances 1e12",
        ["bench", "subsetsum", "--instances", "1000000000000", "--eps", "0.01"],
        ["--instances", "1..100000000", "got 1000000000000", "hours of work"],
    ),
    (
        "bench subsetsum time limit -1",
        ["bench", "subsetsum", "--instances", "10", "--time-limit", "-1"],
        ["--time-limit", "> 0"],
    ),
    ("bench subsetsum eps nan", ["bench", "subsetsum", "--instances", "10", "--eps", "nan"], ["--eps", "nan"]),
    ("bench basis repeat 0", ["bench", "basis", "--repeat", "0"], ["--repeat", "1..100", "got 0"]),
    ("bench basis repeat 1e9 (ran for hours)", ["bench", "basis", "--repeat", "1000000000"], ["--repeat", "1..100"]),
    ("bench prune layers 1e6 (hung)", ["bench", "prune", "--layers", "1000000"], ["--layers", "1..32"]),
    ("bench calibrate trials 1e12", ["bench", "calibrate", "--trials", "10" * 6], ["--trials", "1..1000000"]),
    ("bench calibrate rows 1e9", ["bench", "calibrate", "--rows", "1000000000"], ["--rows", "1..10000"]),
    ("bench calibrate seed -1", ["bench", "calibrate", "--seed", "-1"], ["--seed", ">= 0", "got -1"]),
    ("bench io layers 100", ["bench", "io", "--layers", "100"], ["--layers", "1..32", "got 100"]),
    ("bench basis batch -1", ["bench", "basis", "--batch", "-1"], ["--batch", ">= 1", "got -1"]),
    ("bench prune m 0 (not the default)", ["bench", "prune", "--m", "0"], ["--m", ">= 1", "got 0"]),
    ("bench prune samples 0", ["bench", "prune", "--samples", "0"], ["--samples", ">= 1", "got 0"]),
    ("bench prune eps 5", ["bench", "prune", "--eps", "5"], ["--eps", "[1e-300, 1)", "5.0"]),
    ("bench prune fields 0", ["bench", "prune", "--fields", "0"], ["--fields", ">= 1", "got 0"]),
    ("bench io grid 0", ["bench", "io", "--grid", "0"], ["--grid", ">= 3", "got 0"]),
    ("bench io repeat 0", ["bench", "io", "--repeat", "0"], ["--repeat", "1..100", "got 0"]),
]


@pytest.mark.parametrize("argv, needles", [c[1:] for c in CLI], ids=[c[0] for c in CLI])
def test_cli_refuses_with_one_line(argv, needles, files, capsys, pinned_memory):
    argv = [a.replace("{d}", str(files)) for a in argv]
    code, out, err = run(argv, capsys)
    assert code == 2, (code, out[-300:], err[-800:])
    assert out == "" and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("slt") and ": error: " in err, err
    missing = [n for n in needles if n not in err]
    assert not missing, f"{missing} not in {err!r}"


def test_the_table_is_large_enough():
    assert len(CLI) + len(API) >= 60 and len({c[0] for c in CLI}) == len(CLI) and len({c[0] for c in API}) == len(API)


def test_cli_n_zero_and_empty_results_are_correct(capsys):
    """Degenerate but valid input has the answer of the definition: no samples, error |z|."""
    code, out, _ = run(["subsetsum", "--n", "0", "--targets", "0.3", "-0.7", "--json"], capsys)
    assert code == 0
    probs = json.loads(out)["problems"]
    assert [p["error"] for p in probs] == [0.3, 0.7] and all(p["size"] == 0 for p in probs)


def test_experiment_default_output_is_not_the_committed_reports(monkeypatch, tmp_path):
    """`slt experiment X --quick` writes into reports/quick/experiments of the working directory."""
    import slt.experiments as experiments
    from slt.cli import main

    seen = {}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(experiments, "run_experiment", lambda name, **kw: seen.update(kw) or {"files": []})
    monkeypatch.setattr("slt.cmd_experiment.print_summary", lambda result: None)
    assert main(["experiment", "mpnn", "--quick"]) == 0
    assert Path(seen["out"]) == Path("reports/quick/experiments")
    assert main(["experiment", "mpnn"]) == 0
    assert Path(seen["out"]) == Path("reports/experiments")


# ------------------------------------------------------------------------------------ the Python API
def _api():
    import bounds
    import groups
    import subsetsum
    from constructions import (
        Layer,
        basis_from_specs,
        check_output_dir,
        check_writable,
        forward,
        network_equivariance_error,
        orbital_projection,
        overparameterize,
        prune,
        random_network,
        read_npz,
        save_target,
        verify,
    )

    mlp = {"family": "mlp"}
    B = basis_from_specs(mlp, mlp)
    tgt = random_network([B], [2, 2], np.random.default_rng(0))
    rnd = overparameterize(tgt, 3, seed=1)
    res = prune(rnd, tgt, eps=0.5)
    other = random_network([B], [2, 2], np.random.default_rng(1))
    solve, sup, bound = subsetsum.solve, subsetsum.sup_error, subsetsum.sup_error_bound
    a, z = [[0.5, 0.25]], [0.3]
    cnn = lambda g: {"family": "cnn", "grid": g, "kernel": 1}  # noqa: E731
    perm = lambda **k: {"family": "perm", "n": 3, "order": 1, **k}  # noqa: E731
    layer = [{"n_in": 1, "n_out": 1, "basis_dim": 1, "basis_norm": 1.0, "hidden_basis_dim": 1}]
    return [
        # subsetsum.solve: arrays of real numbers only (never truncated or parsed)
        ("solve complex samples", lambda: solve(np.array([[0.5 + 1j, 0.2]]), z), ["samples", "complex128"]),
        ("solve complex targets", lambda: solve(a, np.array([0.3 + 1j])), ["targets", "complex"]),
        ("solve object samples", lambda: solve(np.array([[0.5, None]], dtype=object), z), ["samples", "object"]),
        ("solve string samples", lambda: solve(np.array([["0.5", "0.2"]]), z), ["samples", "<U3", "strings"]),
        ("solve string targets", lambda: solve(a, ["0.3"]), ["targets", "strings"]),
        ("solve bool samples", lambda: solve(np.array([[True, False]]), z), ["samples", "bool"]),
        ("solve ragged samples", lambda: solve([[0.1, 0.2], [0.3]], [0.1, 0.2]), ["samples", "rectangular"]),
        ("solve 3-d samples", lambda: solve(np.zeros((2, 2, 2)), np.zeros(2)), ["(2, 2, 2)", "(P, n)"]),
        ("solve scalar target", lambda: solve([0.1, 0.2], 0.3), ["targets", "shape (P,)", "()"]),
        ("solve nan sample", lambda: solve([[np.nan, 0.2]], z), ["samples[0, 0] = nan", "finite"]),
        ("solve eps True", lambda: solve(a, z, eps=True), ["eps", "> 0", "True"]),
        ("solve eps string", lambda: solve(a, z, eps="0.1"), ["eps", "> 0", "'0.1'"]),
        ("solve eps -1", lambda: solve(a, z, eps=-1), ["eps", "> 0", "-1"]),
        ("solve workers True", lambda: solve(a, z, workers=True), ["workers", ">= 1", "True"]),
        ("solve seed 1.0", lambda: solve(a, z, seed=1.0), ["seed", "0..2147483647", "1.0"]),
        ("solve time limit True", lambda: solve(a, z, method="cpsat", time_limit=True), ["time_limit", "True"]),
        ("solve method None", lambda: solve(a, z, method=None), ["method must be one of", "None"]),
        ("solve adaptive 'no'", lambda: solve(a, z, adaptive="no"), ["adaptive", "True or False", "'no'"]),
        (
            "solve on 1e9 rows (memory)",
            lambda: solve(np.zeros(3), np.broadcast_to(0.1, (10**9,))),
            ["1,000,000,000 problems", "GB", "row chunks"],
        ),
        ("sup_error complex", lambda: sup(np.array([[0.5 + 1j, 0.2]])), ["samples", "complex"]),
        ("sup_error 1-d", lambda: sup(np.array([0.5, 0.2])), ["samples", "2 dimensions", "(2,)"]),
        ("sup_error above cap", lambda: sup(np.ones((1, 30))), ["30 nonzero", "cap 26", "sup_error_bound"]),
        ("sup_error workers 0", lambda: sup(np.ones((1, 3)), workers=0), ["workers", ">= 1", "0"]),
        (
            "sup_error_bound max_nonzero 40",
            lambda: bound(np.ones((1, 50)), max_nonzero=40),
            ["max_nonzero", "0..26", "40"],
        ),
        ("sup_error_bound levels True", lambda: bound(np.ones((1, 3)), levels=True), ["levels", ">= 0", "True"]),
        ("sup_error_bound refine 'yes'", lambda: bound(np.ones((1, 3)), refine="yes"), ["refine", "True or False"]),
        ("draw bad distribution", lambda: subsetsum.draw("gauss", (3,), 0), ["distribution", "uniform", "'gauss'"]),
        ("draw negative shape", lambda: subsetsum.draw("uniform", (-3,), 0), ["shape[0]", ">= 0", "-3"]),
        ("draw seed -1", lambda: subsetsum.draw("uniform", (3,), -1), ["seed", ">= 0", "-1"]),
        ("draw 1e10 samples (memory)", lambda: subsetsum.draw("uniform", (10**10,), 0), ["10,000,000,000", "GB"]),
        (
            "evaluate complex",
            lambda: subsetsum.evaluate(np.array([[0.5 + 1j]]), np.array([[True]]), np.array([0.1])),
            ["samples", "complex"],
        ),
        (
            "evaluate int masks",
            lambda: subsetsum.evaluate(np.ones((1, 2)), np.ones((1, 2), int), np.zeros(1)),
            ["masks", "bool"],
        ),
        # field specs and bases
        ("basis bad family", lambda: basis_from_specs({"family": "foo"}, mlp), ["family", "mlp, cnn", "'foo'"]),
        ("basis spec not a dict", lambda: basis_from_specs("mlp", mlp), ["field spec is a dict", "'mlp'"]),
        ("basis grid True", lambda: basis_from_specs(cnn(True), cnn(True)), ["grid", ">= 1", "True"]),
        ("basis grid 5.0", lambda: basis_from_specs(cnn(5.0), cnn(5.0)), ["grid", ">= 1", "5.0"]),
        ("basis grid '5'", lambda: basis_from_specs(cnn("5"), cnn("5")), ["grid", ">= 1", "'5'"]),
        ("basis incompatible", lambda: basis_from_specs(cnn(5), cnn(6)), ["incompatible", "grid 5 -> 6"]),
        ("basis foreign key", lambda: basis_from_specs({**cnn(5), "group": "C4"}, cnn(5)), ["'group'", "cnn"]),
        ("basis grid 100000 (memory)", lambda: basis_from_specs(cnn(100000), cnn(100000)), ["100000x100000", "GB"]),
        ("field_type n True", lambda: groups.field_type(perm(n=True)), ["n must be an integer >= 1", "True"]),
        ("field_type order 1.0", lambda: groups.field_type(perm(order=1.0)), ["order", "0..6", "1.0"]),
        (
            "field_type group None",
            lambda: groups.field_type(
                {**cnn(5), "family": "steerable", "kernel": 3, "field": "regular", "group": None}
            ),
            ["'group'"],
        ),
        ("field_type subgroup 3", lambda: groups.field_type(perm(subgroup=3)), ["subgroup", "got 3"]),
        ("point_group C8", lambda: groups.point_group("C8"), ["C8", "exact rotation groups"]),
        # networks
        (
            "random_network channels 0",
            lambda: random_network([B], [0, 2], np.random.default_rng(0)),
            ["channels[0]", ">= 1", "0"],
        ),
        (
            "random_network channels True",
            lambda: random_network([B], [True, 2], np.random.default_rng(0)),
            ["channels[0]", "True"],
        ),
        ("random_network rng None", lambda: random_network([B], [2, 2], None), ["rng", "Generator", "None"]),
        ("random_network bases not bases", lambda: random_network(["x"], [2, 2], 0), ["bases[0]", "str"]),
        (
            "random_network 1e5 channels (memory)",
            lambda: random_network([B], [100000, 100000], 0),
            ["channels [100000, 100000]", "GB"],
        ),
        ("Layer complex", lambda: Layer(B, np.ones((1, 1, 1), dtype=complex)), ["coefficients", "complex"]),
        ("Layer strings", lambda: Layer(B, np.array([[["1"]]])), ["coefficients", "strings"]),
        ("Layer bools", lambda: Layer(B, np.array([[[True]]])), ["coefficients", "bool"]),
        ("Layer not a basis", lambda: Layer("B", np.ones((1, 1, 1))), ["basis", "str"]),
        ("forward complex input", lambda: forward(tgt, np.ones((1, 2, 1), dtype=complex)), ["features", "complex"]),
        ("overparameterize m 0", lambda: overparameterize(tgt, 0), ["m (random samples per input field)", ">= 1"]),
        ("overparameterize m True", lambda: overparameterize(tgt, True), ["m (random", "True"]),
        ("overparameterize m 2.5", lambda: overparameterize(tgt, 2.5), ["m (random", "2.5"]),
        ("overparameterize seed True", lambda: overparameterize(tgt, 3, seed=True), ["seed", "Generator", "True"]),
        ("overparameterize seed -1", lambda: overparameterize(tgt, 3, seed=-1), ["seed", ">= 0", "-1"]),
        ("overparameterize m 1e9 (memory)", lambda: overparameterize(tgt, 10**9), ["random network", "GB", "m"]),
        ("overparameterize no layers", lambda: overparameterize([], 3), ["at least one layer"]),
        ("overparameterize not layers", lambda: overparameterize([1, 2], 3), ["layer 1", "Layer", "int"]),
        ("prune eps -1", lambda: prune(rnd, tgt, eps=-1), ["eps", "(0, 1)", "-1"]),
        ("prune eps string", lambda: prune(rnd, tgt, eps="0.1"), ["eps", "(0, 1)", "'0.1'"]),
        ("prune eps complex", lambda: prune(rnd, tgt, eps=0.1 + 0j), ["eps", "(0, 1)", "0.1+0j"]),
        ("prune wrong random network", lambda: prune(rnd[:1], tgt, eps=0.1), ["2 l = 2 layers", "got 1"]),
        ("verify eps -1", lambda: verify(res, tgt, eps=-1), ["eps", "(0, 1)", "-1"]),
        ("verify eps nan", lambda: verify(res, tgt, eps=float("nan")), ["eps", "(0, 1)", "nan"]),
        ("verify eps 2", lambda: verify(res, tgt, eps=2), ["eps", "(0, 1)", "2"]),
        ("verify samples 0", lambda: verify(res, tgt, eps=0.5, samples=0), ["samples", ">= 1", "0"]),
        ("verify samples True", lambda: verify(res, tgt, eps=0.5, samples=True), ["samples", "True"]),
        ("verify ascent_steps -1", lambda: verify(res, tgt, eps=0.5, ascent_steps=-1), ["ascent_steps", ">= 0"]),
        ("verify honest_batch 0", lambda: verify(res, tgt, eps=0.5, honest_batch=0), ["honest_batch", ">= 1"]),
        (
            "verify budget nan",
            lambda: verify(res, tgt, eps=0.5, certificate_budget=float("nan")),
            ["certificate_budget", "nan"],
        ),
        ("verify another target", lambda: verify(res, other, eps=0.5), ["target", "pruned to"]),
        (
            "verify 1e10 samples (memory)",
            lambda: verify(res, tgt, eps=0.5, samples=10**10),
            ["10,000,000,000 unit-sphere inputs", "GB"],
        ),
        ("equivariance of no layers", lambda: network_equivariance_error([]), ["non-empty list"]),
        # files
        (
            "save_target complex",
            lambda: save_target("/tmp/never-written.npz", [np.ones((2, 2, 1), complex)]),
            ["layer_1", "complex"],
        ),
        (
            "save_target nan",
            lambda: save_target("/tmp/never-written.npz", [np.full((2, 2, 1), np.nan)]),
            ["layer_1", "nan", "finite"],
        ),
        ("save_target 2-d", lambda: save_target("/tmp/never-written.npz", [np.ones((2, 2))]), ["3-dimensional"]),
        ("save_target nothing", lambda: save_target("/tmp/never-written.npz", []), ["non-empty list"]),
        (
            "orbital_projection complex",
            lambda: orbital_projection(B, np.ones((2, 2), complex), 2, 2),
            ["real", "complex128"],
        ),
        ("orbital_projection shape", lambda: orbital_projection(B, np.ones((3, 2)), 2, 2), ["(3, 2)", "(2, 2)"]),
        ("read_npz missing", lambda: read_npz("/nonexistent-slt/x.npz"), ["no such file"]),
        ("check_writable empty", lambda: check_writable(""), ["not a file name"]),
        ("check_output_dir a file", lambda: check_output_dir("/etc/hostname"), ["not a directory"]),
        # bounds (other than subset_sum_eps and tightness_ratio)
        ("lower_bound n_in -1", lambda: bounds.lower_bound(-1, 2, 3, 0.1), ["n_in", ">= 1", "-1"]),
        ("lower_bound eps 2", lambda: bounds.lower_bound(1, 2, 3, 2.0), ["eps", "(0, 1)", "2.0"]),
        ("lower_bound bool", lambda: bounds.lower_bound(True, 2, 3, 0.1), ["n_in", "True"]),
        ("network_width eps -0.1", lambda: bounds.network_width(layer, -0.1, 0.01), ["eps", "(0, 1)", "-0.1"]),
        ("network_width no layers", lambda: bounds.network_width([], 0.1, 0.01), ["depth", "empty"]),
        ("network_width missing keys", lambda: bounds.network_width([{"n_in": 1}], 0.1, 0.01), ["lacks the keys"]),
        ("subset_sum_m C 0", lambda: bounds.subset_sum_m(0.1, 0.0), ["C", "positive", "0.0"]),
        ("basis_dim incompatible", lambda: bounds.basis_dim(mlp, cnn(3)), ["incompatible", "mlp"]),
        ("check_spec None", lambda: bounds.check_spec(None), ["field spec is a dict", "None"]),
    ]


API = _api()


@pytest.mark.parametrize("call, needles", [c[1:] for c in API], ids=[c[0] for c in API])
def test_api_refuses_with_one_line(call, needles, pinned_memory):
    with pytest.raises((ValueError, TypeError)) as exc:
        call()
    text = str(exc.value)
    assert "\n" not in text, text
    missing = [n for n in needles if n not in text]
    assert not missing, f"{missing} not in {text!r}"


def test_api_degenerate_inputs_have_the_defined_answer():
    """Empty batches and empty sample vectors are valid: the empty subset, error |z|."""
    import subsetsum

    res = subsetsum.solve(np.zeros((2, 0)), [0.3, -0.2])
    np.testing.assert_array_equal(res.errors, [0.3, 0.2])
    assert res.masks.shape == (2, 0)
    assert subsetsum.solve(np.zeros((0, 3)), np.zeros(0)).errors.shape == (0,)
    assert subsetsum.sup_error(np.zeros((0, 3))).shape == (0,)
    np.testing.assert_array_equal(subsetsum.sup_error_bound(np.ones((1, 3)), max_nonzero=0), [1.0])
    res = subsetsum.solve(np.array([[1, 2]]), np.array([2]))  # integers are real numbers
    assert res.errors[0] == 0 and res.masks.tolist() == [[False, True]]


@pytest.mark.parametrize(
    "argv, value",
    [
        (["subsetsum", "--n", "3", "--targets", "-1e-3", "--seed", "0", "--json"], -1e-3),
        (["subsetsum", "--n", "3", "--targets", "0.5", "-2.5E-1", "--seed", "0", "--json"], -0.25),
    ],
)
def test_negative_numbers_in_exponent_form_are_values(argv, value, capsys):
    """argparse took `--targets -1e-3` for an option ('expected at least one argument')."""
    import json

    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert value in [p["target"] for p in json.loads(out)["problems"]]


@pytest.mark.parametrize(
    "argv, prefix",
    [
        (["basis", "--family", "mlp", "extra"], "slt basis: error: unrecognized arguments: extra"),
        (["verify", "a.npz", "b.npz"], "slt verify: error: unrecognized arguments: b.npz"),
    ],
)
def test_unrecognized_arguments_are_named_by_their_command(argv, prefix, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2 and err.startswith(prefix) and err.count("\n") == 1, err
