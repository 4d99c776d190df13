"""Scratch arrays reused from one minibatch to the next.

A relaxation needs several batch-sized temporaries (constant drives, the previous
step, the nudged states, ...). Allocated afresh for every minibatch they are
returned to the operating system and faulted in again each time: on small data
that cost a third of a fit's time in the kernel, and it varied from run to run.
A :class:`Workspace` keeps one buffer per use and hands out its leading rows.
"""

import numpy as np


class Workspace:
    """Named buffers, each handed out as its first ``shape[0]`` rows.

    A buffer is reused while the trailing dimensions and the dtype agree and it
    has enough rows; otherwise it is replaced by a larger one. Two arrays in use
    at the same time must have different names.
    """

    def __init__(self):
        self._buffers = {}

    def take(self, name, shape, dtype):
        """An uninitialised C-contiguous array of ``shape`` (a view of the named buffer)."""
        buffer = self._buffers.get(name)
        if (
            buffer is None
            or buffer.dtype != dtype
            or buffer.shape[1:] != tuple(shape[1:])
            or buffer.shape[0] < shape[0]
        ):
            buffer = np.empty(shape, dtype)
            self._buffers[name] = buffer
        return buffer[: shape[0]]


def take(workspace, name, shape, dtype):
    """``workspace.take(...)``, or a new array when ``workspace`` is None."""
    if workspace is None:
        return np.empty(shape, dtype)
    return workspace.take(name, shape, dtype)
