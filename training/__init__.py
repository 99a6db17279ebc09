"""The student model stage: split, tf.data input, MobileNetV2 U-Net, training with MLflow tracking."""
