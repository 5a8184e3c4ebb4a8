"""Where an entry script's messages go."""

import os
import sys


def to_log(path):
    """Send this process's stderr to ``path``: Python's, and (at the file
    descriptor) the C++ messages TensorFlow writes on import and at run time.
    Call it before importing anything that imports TensorFlow."""
    sys.stderr = open(path, "w", buffering=1)  # noqa: SIM115 -- stays open: it is the process's stderr
    os.dup2(sys.stderr.fileno(), 2)
