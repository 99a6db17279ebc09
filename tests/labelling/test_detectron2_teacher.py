"""The Detectron2 adapter: runs where detectron2 is installed (it is not on PyPI)."""

import numpy as np
import pytest

from labelling.choose import make_labeller
from labelling.grabcut import GrabCutLabeller
from labelling.teacher import TeacherUnavailable
from prodseg.settings import Detectron2Config, LabelConfig

try:
    import detectron2  # noqa: F401
    HAVE_DETECTRON2 = True
except ImportError:
    HAVE_DETECTRON2 = False


@pytest.mark.skipif(HAVE_DETECTRON2, reason="detectron2 is installed: auto would pick it")
def test_auto_falls_back_to_grabcut_with_one_warning_saying_why(caplog, tmp_path):
    with caplog.at_level("WARNING"):
        labeller = make_labeller(LabelConfig(labeller="auto"), tmp_path)  # no IS-Net weights there either
    assert isinstance(labeller, GrabCutLabeller)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "detectron2 is not installed" in warnings[0] and "isnet" in warnings[0]


@pytest.mark.skipif(HAVE_DETECTRON2, reason="detectron2 is installed")
def test_asking_for_detectron2_explicitly_fails_loudly(tmp_path):
    with pytest.raises(TeacherUnavailable, match="not on PyPI"):
        make_labeller(LabelConfig(labeller="detectron2"), tmp_path)


@pytest.mark.skipif(not HAVE_DETECTRON2, reason="detectron2 is not installed (not on PyPI; install from its git repository)")
def test_predictor_from_the_model_zoo_config_with_random_weights_converts_its_outputs():
    import torch

    from labelling.detectron2_teacher import Detectron2Labeller

    torch.manual_seed(0)  # random weights, the same ones every run
    config = Detectron2Config(score_threshold=0.0)  # random weights: keep whatever comes out
    labeller = Detectron2Labeller(config, weights="")  # "" = random init, no download
    image = np.random.default_rng(0).integers(0, 255, (128, 160, 3), dtype=np.uint8)
    instances = labeller.label(image, "cup")
    assert instances, "seeded random weights gave no instance: nothing below would be checked"
    for inst in instances:
        assert inst.mask.shape == (128, 160) and inst.mask.dtype == bool
        assert 0.0 <= inst.score <= 1.0
        assert inst.class_name is None or inst.class_name in config.class_map.values()
    assert "wine glass" in labeller.thing_classes
