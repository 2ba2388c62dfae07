"""Write a Bi-Real-18 checkpoint in the authors' release format (``{'state_dict': ...}`` with
``module.`` prefixes, as saved by their DataParallel training script), with random weights of
trained-like statistics: no trained ImageNet checkpoint can be downloaded here.

    python make_checkpoint.py model_best.pth.tar
"""

import argparse

import torch

from bnn_hls.model import birealnet18, randomise_birealnet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    # BN statistics from a few random 224x224 images: enough for O(1) activations.
    net = randomise_birealnet(birealnet18(), seed=args.seed, stats_images=4)
    state = {f"module.{key}": value for key, value in net.state_dict().items()}
    torch.save({"epoch": 256, "state_dict": state, "best_top1_acc": 0.0}, args.output)
    print(f"{args.output}: Bi-Real-18, {len(state)} tensors, random trained-like weights")


if __name__ == "__main__":
    main()
