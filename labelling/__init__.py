"""The pseudo-labelling stage: a teacher draws each crawled image's product mask."""
