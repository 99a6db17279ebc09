import keras
import pytest

from training.model import build_student


def test_student_is_small_and_has_no_transposed_convolutions():
    model, pretrained = build_student(128, encoder_weights="none", num_classes=9)
    assert not pretrained
    assert model.output_shape == (None, 128, 128, 9)
    assert model.count_params() <= 3_500_000
    layers = [layer for layer in model.layers] + model.get_layer("encoder").layers
    assert not [layer for layer in layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    bn = [layer for layer in model.get_layer("encoder").layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert bn and all(layer.momentum == 0.9 for layer in bn)


def test_width_and_decoder_filters_are_configurable():
    small, _ = build_student(64, width=0.35, decoder_filters=(32, 24, 16, 8), encoder_weights="none",
                             num_classes=4)
    assert small.output_shape == (None, 64, 64, 4) and small.count_params() < 600_000


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="multiple of 32"):
        build_student(100, num_classes=9, encoder_weights="none")
    with pytest.raises(ValueError, match="at least one product class"):
        build_student(64, num_classes=1)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build_student(64, num_classes=9, encoder_weights=str(tmp_path / "missing.h5"))


def test_imagenet_weights_download_or_fall_back_with_a_warning(caplog, tmp_path):
    with caplog.at_level("WARNING"):
        model, pretrained = build_student(64, width=0.35, num_classes=9, encoder_weights="imagenet")
    assert model.output_shape == (None, 64, 64, 9)
    if pretrained:
        return
    # offline, as on CI: one clear warning, random init; or the offline weights when there are some
    assert any("ImageNet weights could not be downloaded" in r.getMessage() for r in caplog.records)
    backbone = keras.applications.MobileNetV2((64, 64, 3), alpha=0.35, include_top=False, weights=None)
    backbone.save_weights(tmp_path / "local.weights.h5")
    model, pretrained = build_student(64, width=0.35, num_classes=9, encoder_weights="imagenet",
                                      offline_weights=lambda: str(tmp_path / "local.weights.h5"))
    assert pretrained
    loaded = model.get_layer("encoder").get_layer("Conv1").get_weights()[0]
    assert (loaded == backbone.get_layer("Conv1").get_weights()[0]).all()


def test_encoder_weights_load_from_a_local_file(tmp_path):
    backbone = keras.applications.MobileNetV2((64, 64, 3), alpha=0.35, include_top=False, weights=None)
    path = tmp_path / "mobilenetv2.weights.h5"
    backbone.save_weights(path)
    model, pretrained = build_student(64, width=0.35, num_classes=9, encoder_weights=str(path))
    assert pretrained
    loaded = model.get_layer("encoder").get_layer("Conv1").get_weights()[0]
    assert (loaded == backbone.get_layer("Conv1").get_weights()[0]).all()
