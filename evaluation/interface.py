"""What the stages after evaluation (release) use of it; they import these names from here, not its modules.

A split's images against their pseudo-labels (``label_set``), a Keras model's answers post-processed as the
server does them (``keras_probs``, ``from_probs``), their test mean IoU (``served_mean_iou``), and the timing
helpers (``limit_threads``, ``latency_ms``).
"""

from evaluation.candidates import from_probs, keras_probs, limit_threads, served_mean_iou
from evaluation.data import label_set
from evaluation.latency import latency_ms

__all__ = ["from_probs", "keras_probs", "label_set", "latency_ms", "limit_threads", "served_mean_iou"]
