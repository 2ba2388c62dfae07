"""The golden model tracks the float model on the shipped digits checkpoint (issue targets:
top-1 agreement >= 99%, accuracy drop <= 0.5 points at the default formats)."""

from pathlib import Path

from bnn_hls.compiler.pipeline import compile_model
from bnn_hls.data import digits_split
from bnn_hls.tools.evaluate import measure_faithfulness

SHIPPED = Path(__file__).resolve().parent.parent / "examples" / "digits" / "birealnet_digits.pt"


def test_shipped_checkpoint_golden_tracks_float():
    data = digits_split()
    compiled = compile_model(SHIPPED, calibration_pixels=data.train_x)
    faith = measure_faithfulness(compiled, data.test_x, data.test_y)
    assert faith.images == 450
    assert faith.float_accuracy >= 0.95
    assert faith.agreement >= 0.99, faith.summary()
    assert faith.float_accuracy - faith.golden_accuracy <= 0.005, faith.summary()
