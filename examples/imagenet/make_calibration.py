"""Write a folder of JPEG calibration images of assorted sizes and aspect ratios (smooth
colour fields with shapes, standing in for photographs; nothing downloads here).
`bnn-hls compile --calibration DIR` resizes and centre-crops them as ImageNet evaluation does.

    python make_calibration.py calibration/ -n 8
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SIZES = ((500, 375), (375, 500), (320, 240), (640, 427), (256, 256))


def synthetic_photo(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    channels = [np.clip(128 + 100 * np.sin(rng.uniform(2, 9) * x + rng.uniform(0, 6))
                        * np.cos(rng.uniform(2, 9) * y), 0, 255) for _ in range(3)]
    image = Image.fromarray(np.stack(channels, axis=-1).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = rng.integers(0, width), rng.integers(0, height)
        box = (x0, y0, x0 + rng.integers(20, width // 2), y0 + rng.integers(20, height // 2))
        draw.ellipse(box, fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("-n", "--images", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    for index in range(args.images):
        width, height = SIZES[index % len(SIZES)]
        synthetic_photo(rng, width, height).save(args.folder / f"image_{index:03d}.jpg",
                                                 quality=90)
    print(f"{args.folder}: {args.images} JPEG images")


if __name__ == "__main__":
    main()
