"""The pruned-network and target files: round trip, atomic writes (a SIGKILL mid-save keeps the
old file), output paths checked before the computation, target files validated."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from constructions import basis_from_specs, overparameterize, prune, random_network
from constructions.files import atomic_write, check_writable
from constructions.saved import load_pruned, load_target, pruned_file, save_pruned, save_target
from slt.cli import main

ROOT = Path(__file__).resolve().parents[1]
MLP = dict(family="mlp")


def small_record(seed=0):
    bases = [basis_from_specs(MLP, MLP)] * 2
    target = random_network(bases, [2, 3, 1], np.random.default_rng(seed))
    rand = overparameterize(target, 12, seed=seed)
    result = prune(rand, target, eps=0.1)
    return pruned_file(
        [MLP] * 3,
        [2, 3, 1],
        target,
        rand,
        result,
        eps=0.1,
        seed=seed,
        method="exact",
        optimal=False,
        target_from_seed=True,
        target_source="random",
        report={"eps": 0.1},
    )


def test_round_trip(tmp_path):
    rec = small_record()
    save_pruned(tmp_path / "p.npz", rec)
    back = load_pruned(tmp_path / "p.npz")
    assert (back.specs, back.channels, back.eps, back.seed, back.m, back.method, back.optimal) == (
        rec.specs,
        rec.channels,
        rec.eps,
        rec.seed,
        rec.m,
        rec.method,
        rec.optimal,
    )
    for name in ("target", "random", "masks", "pruned"):
        assert all(np.array_equal(a, b) for a, b in zip(getattr(rec, name), getattr(back, name)))
    assert back.version == 3 and back.target_from_seed and back.report == {"eps": 0.1}
    assert [p.name for p in tmp_path.iterdir()] == ["p.npz"]  # no temporary left behind


KILLER = """
import sys
import numpy as np
from dataclasses import replace
from constructions.saved import load_pruned, save_pruned
rec = load_pruned(sys.argv[1])
big = np.random.default_rng(0).standard_normal((1, 1, 8_000_000))  # ~64 MB: compressing takes seconds
save_pruned(sys.argv[1], replace(rec, random=[big] + rec.random[1:]))
print("finished")
"""


def test_sigkill_during_save_keeps_the_previous_file(tmp_path):
    path = tmp_path / "p.npz"
    rec = small_record()
    save_pruned(path, rec)
    before = path.read_bytes()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(path)], env=env, stdout=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:  # kill as soon as the new file is being written
            temps = list(tmp_path.glob(".p.npz.*.tmp"))
            if temps and temps[0].stat().st_size > 0:
                break
            assert proc.poll() is None, "the writer finished before it could be killed"
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    back = load_pruned(path)
    assert all(np.array_equal(a, b) for a, b in zip(rec.random, back.random))
    save_pruned(path, replace(rec, eps=0.2))  # the next save replaces it normally
    assert load_pruned(path).eps == 0.2


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")

    def broken(fh):
        fh.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(path, broken)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_check_writable(tmp_path):
    assert check_writable(tmp_path / "new.npz") == tmp_path / "new.npz"
    with pytest.raises(ValueError, match="does not exist"):
        check_writable(tmp_path / "nope" / "x.npz", "--save")
    with pytest.raises(ValueError, match="is a directory"):
        check_writable(tmp_path, "--save")
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        with pytest.raises(ValueError, match="cannot write in directory"):
            check_writable(ro / "x.npz")
    assert list(tmp_path.glob(".*")) == []


def test_prune_checks_save_path_before_computing(tmp_path, monkeypatch, capsys):
    import slt.cmd_prune

    def no_work(*a, **k):
        raise AssertionError("the computation started before the output path was checked")

    monkeypatch.setattr(slt.cmd_prune, "build_bases", no_work)
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "prune",
                "--family",
                "mlp",
                "--channels",
                "2",
                "2",
                "--eps",
                "0.1",
                "--save",
                str(tmp_path / "missing" / "out.npz"),
            ]
        )
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("slt prune: error: --save") and "does not exist" in err and err.count("\n") == 1


def test_target_files(tmp_path, capsys):
    spec = dict(family="steerable", grid=5, kernel=3, group="C4", field="regular")
    b = basis_from_specs(spec, spec)
    layers = random_network([b, b], [1, 2, 1], np.random.default_rng(0))
    save_target(tmp_path / "t.npz", [L.coeffs for L in layers], [spec] * 3, source="test")
    tf = load_target(tmp_path / "t.npz")
    assert tf.specs == [spec] * 3 and tf.channels == [1, 2, 1] and tf.meta["source"] == "test"
    assert all(np.array_equal(L.coeffs, c) for L, c in zip(layers, tf.coeffs))
    bad = [np.zeros((1, 2, 36)), np.zeros((3, 1, 36))]
    with pytest.raises(ValueError, match="layer_1 outputs 2 fields but layer_2 takes 3"):
        save_target(tmp_path / "bad.npz", bad)  # refused when written ...
    np.savez(tmp_path / "bad.npz", layer_1=bad[0], layer_2=bad[1])
    with pytest.raises(ValueError, match="layer_1 outputs 2 fields but layer_2 takes 3"):
        load_target(tmp_path / "bad.npz")  # ... and when read
    np.savez(tmp_path / "none.npz", weights=np.zeros(3))
    with pytest.raises(ValueError, match="no array 'layer_1'"):
        load_target(tmp_path / "none.npz")
    # slt prune --target refuses a file made for other field types, before pruning
    with pytest.raises(SystemExit):
        main(
            [
                "prune",
                "--family",
                "steerable",
                "--group",
                "D4",
                "--grid",
                "5",
                "--channels",
                "1",
                "2",
                "1",
                "--eps",
                "0.1",
                "--target",
                str(tmp_path / "t.npz"),
            ]
        )
    err = capsys.readouterr().err
    assert "was made for field spec" in err and err.count("\n") == 1
