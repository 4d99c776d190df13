"""Loaders for the data sets used in the Equilibrium Propagation paper."""

from ._mnist import load_mnist

__all__ = ["load_mnist"]
