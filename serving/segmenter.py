"""Model runners behind one interface: ``size`` (height, width) and ``logits(image) -> (H, W, classes)``.

TFLite interpreters are not thread-safe, so a pool holds one per worker; the
LiteRT ``invoke`` releases the GIL, so workers run in parallel on the cores.
"""

from __future__ import annotations

import queue
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np

from serving.budget import ServerBusy
from serving.model_source import KERAS, ModelSource, ModelUnavailable


class Segmenter(Protocol):
    size: tuple[int, int]

    def logits(self, image: np.ndarray) -> np.ndarray: ...


class Tflite:
    def __init__(self, content: bytes, path: Path, threads: int):
        from release.tflite import TfliteSegmenter  # noqa: PLC0415

        self.runner = TfliteSegmenter(content, threads)
        self.size = _fixed_size(self.runner.input["shape"], path)
        self.logits = self.runner.logits


class Keras:
    def __init__(self, path: Path):
        import keras  # noqa: PLC0415

        self.model = keras.models.load_model(path, compile=False)  # inference only: no custom loss/metrics needed
        self.size = _fixed_size(self.model.input_shape, path)

    def logits(self, image: np.ndarray) -> np.ndarray:
        return np.asarray(self.model(image[None].astype(np.float32), training=False))[0]


def _fixed_size(shape, path: Path) -> tuple[int, int]:
    height, width = shape[1], shape[2]
    if not (height and width) or height < 0 or width < 0:
        raise ModelUnavailable(f"{path}: the model has no fixed input size ({tuple(shape)})")
    return int(height), int(width)


class SegmenterPool:
    """``workers`` loaded copies of one model; ``acquire()`` lends one to a request."""

    def __init__(self, source: ModelSource, workers: int, threads: int, timeout: float):
        # One Keras model serves every thread (TF ops are thread-safe); TFLite needs its own interpreter each.
        count = 1 if source.variant == KERAS else max(1, workers)
        # Read into memory, not mapped: a file copied over the served one must not change the running model.
        content = None if source.variant == KERAS else source.path.read_bytes()
        self._free: queue.Queue = queue.Queue()
        self.timeout = timeout
        for _ in range(count):
            runner = Keras(source.path) if content is None else Tflite(content, source.path, threads)
            warm = runner.logits(np.zeros((*runner.size, 3), np.float32))  # first invoke sets up kernels
            self._free.put(runner)
        self.size: tuple[int, int] = runner.size
        self.outputs = int(warm.shape[-1])   # background and the product classes
        self.workers = count

    @contextmanager
    def acquire(self) -> Iterator[Segmenter]:
        """A runner, waiting up to ``timeout`` seconds for one (then ServerBusy)."""
        try:
            runner = self._free.get(timeout=self.timeout)
        except queue.Empty:
            raise ServerBusy(f"all {self.workers} workers busy for {self.timeout:g} s; try again shortly") from None
        try:
            yield runner
        finally:
            self._free.put(runner)
