"""What the package declares matches what it is and what it imports."""

import ast
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = REPO / "pyproject.toml"
PACKAGE = REPO / "sk_eqprop"

# The import name of each distribution the package may need at run time.
IMPORT_NAMES = {"numpy": "numpy", "scipy": "scipy", "scikit-learn": "sklearn"}


def runtime_dependencies():
    if sys.version_info >= (3, 11):
        import tomllib

        project = tomllib.loads(PYPROJECT.read_text())["project"]
        return project, [re.split(r"[<>=!~ \[]", d)[0] for d in project["dependencies"]]
    pytest.skip("tomllib needs Python 3.11")  # pragma: no cover


def imported_top_level_packages(paths=None):
    names = set()
    for path in PACKAGE.rglob("*.py") if paths is None else paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_the_declared_license_is_shipped():
    project, _ = runtime_dependencies()
    assert project["license"] == "BSD-3-Clause"
    assert project["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text()
    assert "BSD 3-Clause License" in text and "Redistribution and use" in text


def test_every_runtime_dependency_is_imported_and_nothing_else_is_needed():
    _, dependencies = runtime_dependencies()
    imported = imported_top_level_packages()
    for dependency in dependencies:
        assert IMPORT_NAMES[dependency] in imported, f"{dependency} is declared but unused"
    third_party = imported - set(sys.stdlib_module_names) - {"sk_eqprop"}
    # matplotlib is imported lazily by the plotting helpers only, JAX by the JAX backend
    # only (optional extras).
    assert third_party - {"matplotlib", "jax"} <= set(IMPORT_NAMES.values()), third_party
    outside_backend = [p for p in PACKAGE.rglob("*.py") if "_jax" not in p.parts]
    assert "jax" not in imported_top_level_packages(outside_backend)


def test_importing_the_package_does_not_import_jax():
    # backend="jax" is an optional extra: sk_eqprop imports and predicts without it.
    import subprocess

    code = "import sys, sk_eqprop, sk_eqprop.inspection; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_jax_extra_is_declared():
    project, _ = runtime_dependencies()
    assert any(d.startswith("jax") for d in project["optional-dependencies"]["jax"])


def test_gallery_and_readme_use_the_public_api_and_no_development_paths():
    """Users copy these: no private module, no path that exists only in our checkout."""
    for path in sorted((REPO / "examples").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not any(part.startswith("_") for part in node.module.split(".")), (
                    f"{path.name} imports {node.module}"
                )
    code_blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert code_blocks and not any("shared/" in block for block in code_blocks)


def test_public_docstrings_do_not_point_into_the_private_core():
    import sk_eqprop
    import sk_eqprop.inspection

    for module in (sk_eqprop, sk_eqprop.inspection):
        for name in module.__all__:
            doc = getattr(module, name).__doc__ or ""
            assert "_core" not in doc, f"{module.__name__}.{name}"
