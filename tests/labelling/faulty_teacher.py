"""``dask worker --preload`` module for tests: GrabCut that fails on one kind of image, in that worker only.

An all-magenta image makes the teacher raise (a teacher bug on one image); an all-cyan one kills the worker
process (a crash in native code); any other image is GrabCut's. Importing this module changes nothing: Dask
calls ``dask_setup`` in the worker it preloads into, and only that patches the teacher.
"""

import os

import numpy as np

MAGENTA = (255, 0, 255)
CYAN = (0, 255, 255)


def dask_setup(worker) -> None:
    from labelling.grabcut import GrabCutLabeller

    real = GrabCutLabeller.label

    def label(self, image, category):
        if (image == np.array(MAGENTA, np.uint8)).all():
            raise ValueError("this teacher cannot label magenta")
        if (image == np.array(CYAN, np.uint8)).all():
            os._exit(1)
        return real(self, image, category)

    GrabCutLabeller.label = label
