"""A deliberate slow-down, for the kill-and-resume tests only: with XLNER_PAUSE=SECONDS in the environment, the
long stages (translation, alignment, training) sleep that long after each unit of progress, so that a test can
provably kill a run in the middle of a stage. Unset (the default), it does nothing."""
import os
import time


def pause():
    seconds = float(os.environ.get("XLNER_PAUSE", "0") or 0)
    if seconds > 0:
        time.sleep(seconds)
