"""The embedded demo shop: generated product photos (with exact masks) served as a small website."""
