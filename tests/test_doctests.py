"""The docstring examples of the package, run against the imported (installed) package."""

import doctest
import importlib
import importlib.util
import os
import pkgutil
from pathlib import Path

import pytest

import sk_eqprop

MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(sk_eqprop.__path__, prefix="sk_eqprop.")
    if name != "sk_eqprop.__main__"
    # The JAX backend's modules import JAX, an optional extra; CI runs them with it.
    and (importlib.util.find_spec("jax") is not None or not name.startswith("sk_eqprop._jax."))
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):  # the objects defined in the module only
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"


def test_the_tests_import_the_installed_package_in_ci():
    """CI installs the package and must test that copy, not the source tree."""
    source_tree = Path(__file__).resolve().parents[1] / "sk_eqprop"
    imported = Path(sk_eqprop.__file__).resolve().parent
    if os.environ.get("CI") != "true":
        pytest.skip("only CI guarantees a non-editable install")
    assert imported != source_tree, f"imported {imported}, the source tree"
