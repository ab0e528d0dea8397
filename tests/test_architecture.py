"""The dependency rules of DESIGN.md, checked on the source: across packages, code imports only
another package's public top-level names (``from constructions import X``), never its
submodules (``from constructions.verify import X``, ``import bounds.network``). Inside a
package anything goes; tests may import submodules for white-box testing."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("groups", "subsetsum", "constructions", "bounds", "slt")

#: (file, imported module): submodule imports still to be replaced, each with its owner and reason.
#: The test also fails when an entry is no longer needed, so this list only shrinks.
ALLOWED: set = set()  # no exceptions: every cross-package import uses public names


def _package_of(path: Path) -> tuple[str, list[str]]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    else:
        parts = parts[:-1]  # the module's own package
    return parts[0], parts


def _is_submodule(package: str, name: str) -> bool:
    """True if ``from package import name`` takes a submodule (not a public name of the package
    that happens to share a submodule's name, such as constructions.verify the function)."""
    import importlib

    base = ROOT.joinpath(*package.split("."))
    if package.split(".")[0] not in PACKAGES or not ((base / f"{name}.py").exists() or (base / name).is_dir()):
        return False
    return name not in getattr(importlib.import_module(package), "__all__", ())


def cross_package_submodule_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of another package's submodule in ``path``."""
    own, package = _package_of(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = package[: len(package) - node.level + 1]
                modules = [".".join(base + ([node.module] if node.module else []))]
            else:
                modules = [node.module]
            # ``from bounds import symbols`` imports the submodule bounds.symbols
            modules += [f"{m}.{a.name}" for m in modules for a in node.names if _is_submodule(m, a.name)]
        else:
            continue
        for module in modules:
            top, _, rest = module.partition(".")
            if top in PACKAGES and top != own and rest:
                found.append((node.lineno, module))
    return found


def library_files():
    for package in PACKAGES:
        if (ROOT / package).is_dir():
            yield from sorted((ROOT / package).rglob("*.py"))


def test_no_cross_package_submodule_imports():
    seen, bad = set(), []
    for path in library_files():
        rel = path.relative_to(ROOT).as_posix()
        for line, module in cross_package_submodule_imports(path):
            if (rel, module) in ALLOWED:
                seen.add((rel, module))
            else:
                bad.append(
                    f"{rel}:{line} imports {module} (use the package's public names, adding them to its "
                    f"__init__ __all__)"
                )
    assert not bad, "\n".join(bad)
    stale = sorted(ALLOWED - seen)
    assert not stale, f"allowed exceptions no longer needed (remove them from ALLOWED): {stale}"


def test_the_checker_sees_every_form_of_import(tmp_path, monkeypatch):
    src = ROOT / "slt" / "_architecture_probe.py"
    monkeypatch.setattr(
        Path,
        "read_text",
        lambda self, *a, **k: (
            "import constructions.verify\nfrom bounds.network import network_width\nfrom constructions import verify\n"
            "from ..subsetsum.exact import x\nfrom .studies.tables import Table\nimport numpy.linalg\n"
            "from bounds import symbols, network_width\n"
        ),
    )
    assert cross_package_submodule_imports(src) == [
        (1, "constructions.verify"),
        (2, "bounds.network"),
        (4, "subsetsum.exact"),
        (7, "bounds.symbols"),
    ]


def test_public_names_exist():
    """Every name slt takes from a package is in that package's __all__."""
    import bounds
    import constructions
    import subsetsum

    for package in (bounds, constructions, subsetsum):
        missing = [n for n in package.__all__ if not hasattr(package, n)]
        assert not missing, f"{package.__name__}.__all__ lists missing names {missing}"
    bad = []
    for path in library_files():
        own, _ = _package_of(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and not node.level
                and node.module in ("bounds", "constructions", "subsetsum")
                and node.module != own
            ):
                package = __import__(node.module)
                bad += [
                    f"{path.name}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name not in package.__all__ and not _is_submodule(node.module, a.name)
                ]
    assert not bad, bad
