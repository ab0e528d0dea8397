"""`slt verify` is strict: every tampered array or meta field is named and exits 1; malformed
files are one-line errors (exit 2); the checks themselves fail on bad numbers."""

import json

import numpy as np
import pytest
from cli_run import run

from constructions.recheck import CHECK_TOLERANCE, check_failures
from slt.cli import main

MLP = ["--family", "mlp", "--channels", "2", "3", "2", "--eps", "0.05", "--seed", "1", "--m", "40"]
C4 = [
    "--family",
    "steerable",
    "--group",
    "C4",
    "--grid",
    "5",
    "--channels",
    "1",
    "2",
    "1",
    "--fields",
    "trivial",
    "regular",
    "point",
    "--eps",
    "0.05",
    "--seed",
    "0",
    "--m",
    "60",
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("verify")
    paths = {"mlp": d / "mlp.npz", "c4": d / "c4.npz", "weak": d / "weak.npz"}
    main(["prune", *MLP, "--json", "--save", str(paths["mlp"])])
    main(["prune", *C4, "--json", "--save", str(paths["c4"])])
    weak = [a if a != "40" else "3" for a in MLP]  # m = 3: not certified, bound above eps
    main(["prune", *weak, "--json", "--save", str(paths["weak"])])
    return paths


def tampered(src, dst, **changes):
    """Copy of the npz at src with arrays replaced (a callable gets the old array) and meta
    fields changed (key 'meta': a function of the meta dict)."""
    with np.load(src) as f:
        arrays = {k: f[k] for k in f.files}
    for key, change in changes.items():
        if key == "meta":
            arrays["meta"] = np.array(json.dumps(change(json.loads(str(arrays["meta"])))))
        else:
            arrays[key] = change(arrays[key]) if callable(change) else change
    np.savez(dst, **arrays)
    return str(dst)


def verify_json(path, capsys, *extra):
    code, out, err = run(["verify", str(path), "--json", *extra], capsys)
    return code, (json.loads(out) if out else None), err


def test_untouched_files_verify(files, capsys):
    for path in files.values():
        code, rep, _ = verify_json(path, capsys)
        if path == files["weak"]:
            assert code == 1 and any(f.startswith("check error bound") for f in rep["failures"])
            continue
        assert code == 0 and rep["verified"] and rep["failures"] == []
        assert rep["masks_resolved"].endswith("identical")
        assert rep["error_bound_matches_saved"] is True


def bump(a):
    a = a.copy()
    a.flat[0] += 1e-3
    return a


@pytest.mark.parametrize(
    "array,needle",
    [
        ("random_2", "random_2: differs from the random network drawn from seed 1"),
        ("random_3", "random_3: differs from the random network drawn from seed 1"),
        ("target_1", "target_1: differs from the target drawn from seed 1"),
        ("pruned_4", "pruned_4: is not random_4 * mask_4"),
    ],
)
def test_tampered_array_is_named(files, tmp_path, capsys, array, needle):
    path = tampered(files["mlp"], tmp_path / "t.npz", **{array: bump})
    code, rep, _ = verify_json(path, capsys)
    assert code == 1 and not rep["verified"]
    assert any(f.startswith(needle) for f in rep["failures"]), rep["failures"]


def _drop_first_kept(mask):
    mask = mask.copy()
    mask.flat[np.flatnonzero(mask)[0]] = False
    return mask


def test_self_consistent_mask_change_fails(files, tmp_path, capsys):
    """Masks and pruned coefficients changed together (a valid pruning, but not this one)."""
    with np.load(files["mlp"]) as f:
        mask = _drop_first_kept(f["mask_2"])
        pruned = f["random_2"] * mask
    path = tampered(files["mlp"], tmp_path / "t.npz", mask_2=mask, pruned_2=pruned)
    code, rep, _ = verify_json(path, capsys)
    assert code == 1
    assert any(f.startswith("mask_2: differs from the masks the saved settings give") for f in rep["failures"])
    assert any(f.startswith("report.kept_params") for f in rep["failures"])


def test_fully_consistent_tamper_breaking_the_bound_fails(files, tmp_path, capsys):
    """Masks emptied, pruned updated AND the saved report replaced by the recomputed one: the
    only thing left to catch it (with --no-resolve) is the recomputed bound > eps."""
    with np.load(files["mlp"]) as f:
        empty = np.zeros_like(f["mask_2"])
    step = tampered(files["mlp"], tmp_path / "a.npz", mask_2=empty, pruned_2=lambda a: a * 0)
    _, rep, _ = verify_json(step, capsys, "--no-resolve")
    drop = ("verified", "failures", "masks_resolved", "file")
    consistent = {k: v for k, v in rep.items() if k not in drop and not k.endswith("_matches_saved")}
    path = tampered(step, tmp_path / "b.npz", meta=lambda m: {**m, "report": consistent})
    code, rep, _ = verify_json(path, capsys, "--no-resolve")
    assert code == 1
    assert [f.split(":")[0] for f in rep["failures"]] == ["check error bound"], rep["failures"]
    code, out, _ = run(["verify", path, "--no-resolve"], capsys)
    assert code == 1 and "FAILED (1; exit status 1)" in out and "check error bound" in out


@pytest.mark.parametrize(
    "field,change,needle",
    [
        ("eps", lambda m: {**m, "eps": 0.06}, "eps: meta says 0.06 but the saved report says 0.05"),
        ("seed", lambda m: {**m, "seed": 2}, "random_1: differs from the random network drawn from seed 2"),
        ("report", lambda m: {**m, "report": {**m["report"], "error_bound": 1e-9}}, "report.error_bound: saved 1e-09"),
        ("report", lambda m: {**m, "report": {**m["report"], "kept_params": 7}}, "report.kept_params: saved 7"),
        ("method", lambda m: {**m, "optimal": True}, "mask_"),
    ],
)
def test_tampered_meta_is_named(files, tmp_path, capsys, field, change, needle):
    path = tampered(files["mlp"], tmp_path / "t.npz", meta=change)
    code, rep, _ = verify_json(path, capsys)
    assert code == 1
    assert any(f.startswith(needle) for f in rep["failures"]), rep["failures"]


def test_tampered_grid_is_named(files, tmp_path, capsys):
    """grid 5 -> 6 keeps every basis dimension (3x3 kernels), so only the regenerated target
    (rescaled on another torus) and the saved report can tell."""

    def regrid(m):
        return {**m, "specs": [{**s, "grid": 6} for s in m["specs"]]}

    code, rep, _ = verify_json(tampered(files["c4"], tmp_path / "t.npz", meta=regrid), capsys)
    assert code == 1
    names = [f.split(":")[0] for f in rep["failures"]]
    assert "specs" in names and any(n.startswith("report.") for n in names)


def test_claimed_certificate_that_fails(files, tmp_path, capsys):
    def claim(m):
        return {**m, "report": {**m["report"], "certified": True}}

    code, rep, _ = verify_json(tampered(files["weak"], tmp_path / "t.npz", meta=claim), capsys)
    assert code == 1
    assert any(f.startswith("check certificate: the saved report claims certified") for f in rep["failures"])
    assert any(f.startswith("report.certified") for f in rep["failures"])


def test_checks_of_the_recomputed_report():
    rep = {
        "error_bound": 0.01,
        "certified": False,
        "certified_bound": 0.2,
        "equivariance_error": 1e-3,
        "collapse_check": 2 * CHECK_TOLERANCE,
    }
    names = [f.split(":")[0] for f in check_failures(rep, 0.05, True, True)]
    assert names == ["check certificate", "check equivariance", "check collapse"]
    assert (
        check_failures({**rep, "equivariance_error": 0.0, "collapse_check": 0.0, "certified": True}, 0.05, True, True)
        == []
    )
    assert check_failures(
        {**rep, "error_bound": 0.06, "equivariance_error": 0, "collapse_check": 0}, 0.05, False, False
    ) == ["check error bound: network error bound 0.06 > eps = 0.05"]


@pytest.mark.parametrize(
    "change,needle",
    [
        (dict(meta=lambda m: {**m, "m": [41, 40]}), "random_1 has shape (2, 80, 1); meta channels and m"),
        (dict(meta=lambda m: {**m, "channels": [2, 3, 3]}), "target_2 has shape (3, 2, 1); meta channels need"),
        (dict(meta=lambda m: {**m, "channels": [2, 3, 2, 2]}), "meta 'm' has 2 entries but 'channels' describes 3"),
        (dict(meta=lambda m: {k: v for k, v in m.items() if k != "specs"}), "meta lacks 'specs'"),
        (dict(meta=lambda m: {**m, "format": 9}), "meta 'format' is 9"),
        (dict(meta=lambda m: {**m, "eps": 2}), "meta 'eps' must be a number in (0, 1)"),
        (dict(meta=lambda m: {**m, "specs": [{"family": "steerable", "group": "C8"}] * 3}), "meta 'specs'[0]"),
        (dict(mask_1=lambda a: a.astype(float) * 2), "array 'mask_1' must be a boolean mask"),
        (dict(random_2=lambda a: a[..., :0]), "random_2 has 0 basis coefficients but target_1 has 1"),
        (
            {f"{k}_1": (lambda a: np.concatenate([a, a], axis=2)) for k in ("random", "mask", "pruned")},
            "random_1 has 2 basis coefficients but the field specs give |H_1| = 1",
        ),
        (dict(target_2=lambda a: np.full_like(a, np.nan)), "array 'target_2'[0, 0, 0] = nan is not finite"),
        (dict(random_1=lambda a: a.astype(complex)), "array 'random_1' must be an array of real numbers"),
    ],
)
def test_malformed_files_are_one_line_errors(files, tmp_path, capsys, change, needle):
    path = tampered(files["mlp"], tmp_path / "t.npz", **change)
    code, out, err = run(["verify", path], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("slt verify: error: pruned-network file") and needle in err, err


def test_unreadable_files_are_one_line_errors(files, tmp_path, capsys):
    raw = files["mlp"].read_bytes()
    cases = {"empty.npz": b"", "text.npz": b"hello, not a zip", "cut.npz": raw[: len(raw) // 2], "half.npz": raw[:-200]}
    needles = {
        "empty.npz": "the file is empty (0 bytes)",
        "text.npz": "not an .npz archive",
        "cut.npz": "not an .npz archive",
        "half.npz": "not an .npz archive",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        code, _, err = run(["verify", str(tmp_path / name)], capsys)
        assert code == 2 and err.count("\n") == 1 and needles[name] in err, (name, err)
    code, _, err = run(["verify", str(tmp_path / "missing.npz")], capsys)
    assert code == 2 and "no such file" in err
    with np.load(files["mlp"]) as f:
        arrays = {k: f[k] for k in f.files if k != "meta"}
    np.savez(tmp_path / "nometa.npz", **arrays)
    code, _, err = run(["verify", str(tmp_path / "nometa.npz")], capsys)
    assert code == 2 and "has no 'meta' array" in err
    for bad in ("[1, 2]", "{not json"):
        np.savez(tmp_path / "badmeta.npz", **arrays, meta=np.array(bad))
        code, _, err = run(["verify", str(tmp_path / "badmeta.npz")], capsys)
        assert code == 2 and "'meta'" in err, err
    np.savez(
        tmp_path / "missing_arr.npz",
        **{k: v for k, v in arrays.items() if k != "mask_3"},
        meta=np.load(files["mlp"])["meta"],
    )
    code, _, err = run(["verify", str(tmp_path / "missing_arr.npz")], capsys)
    assert code == 2 and "missing array(s) mask_3" in err


def test_corrupt_member_is_one_line_error(files, tmp_path, capsys):
    """A zip whose central directory is intact but a member's bytes are damaged."""
    raw = bytearray(files["mlp"].read_bytes())
    raw[200:260] = b"\x00" * 60
    (tmp_path / "corrupt.npz").write_bytes(bytes(raw))
    code, _, err = run(["verify", str(tmp_path / "corrupt.npz")], capsys)
    assert code == 2 and err.count("\n") == 1 and "corrupt or truncated .npz" in err, err
