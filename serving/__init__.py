"""Serving: the registry's champion behind a REST API and the "place it in your room" web page."""
