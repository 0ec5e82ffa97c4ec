"""Argument types that refuse impossible values at the command line, with the argument named
(``--every 0`` would loop forever; ``--iterations -3`` would fail deep inside the model)."""

from __future__ import annotations

import argparse
import math
from typing import Callable


def integer(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0, not {text}")
    return value


positive_number.__name__ = "number > 0"


def architecture(text: str) -> str:
    """A registered architecture and variant (recurrent-lite, ...). Checked when given rather than
    as argparse choices: the registry imports torch, and `poseapp` alone (the window) need not wait for it."""
    from poseapp.models import available_models

    names = available_models()
    if text not in names:
        raise argparse.ArgumentTypeError(f"unknown model {text!r}; known: {', '.join(names)}")
    return text
