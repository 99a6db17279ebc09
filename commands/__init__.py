"""The ``prodseg`` command line and its status summary: the entry point above every stage.

It may import any stage (``prodseg/`` is the base they all share and imports none of them).
"""
