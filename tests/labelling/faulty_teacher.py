"""``dask worker --preload`` module for tests: GrabCut that fails on one kind of image, in that worker only.

An all-magenta image makes the teacher raise (a teacher bug on one image); an all-cyan one kills the worker
process (a crash in native code); any other image is GrabCut's.
"""

import os

import numpy as np

from labelling.grabcut import GrabCutLabeller

MAGENTA = (255, 0, 255)
CYAN = (0, 255, 255)
_real = GrabCutLabeller.label


def _label(self, image, category):
    if (image == np.array(MAGENTA, np.uint8)).all():
        raise ValueError("this teacher cannot label magenta")
    if (image == np.array(CYAN, np.uint8)).all():
        os._exit(1)
    return _real(self, image, category)


GrabCutLabeller.label = _label
