"""Input patterns for the popcount testbenches: every pattern of a small width, else the
extremes, lone ones and zeros, and random densities."""

import random


def bit_patterns(width: int, rng: random.Random, exhaustive_max_width: int,
                 count: int) -> list[int]:
    if width <= exhaustive_max_width:
        return list(range(1 << width))
    ones = (1 << width) - 1
    out = [0, ones]
    for _ in range(8):  # a lone one and a lone zero
        bit = 1 << rng.randrange(width)
        out += [bit, ones ^ bit]
    while len(out) < count:
        density = rng.choice([0.02, 0.5, 0.98, rng.random()])
        out.append(sum(1 << i for i in range(width) if rng.random() < density))
    return out
