"""prodseg: product photos -> a small, fast product-segmentation model, served."""

__version__ = "0.1.0"
