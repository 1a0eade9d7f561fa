"""The logo pipeline's stable import point for operators' scripts and shells; it lives in
``coalition.images.logos``."""

from coalition.images.logos import process, validate_and_open

__all__ = ["process", "validate_and_open"]
