"""Every Bi-Real-18 layer shape class (64..512 channels, stride 1 and 2, downsample shortcut,
7x7/2 stem with 3x3/2 max pool) as HLS C++ at a reduced spatial size (64x64 input),
C-simulated with g++ bit-exact against the golden model at every layer."""

# The same randomised network as the RTL test (its fixture also writes that design's RTL).
from test_rtl_bireal18_shapes import shapes_design  # noqa: F401

from bnn_hls.tools.csim import csim, generate_hls


def test_csim_bit_exact(shapes_design, tmp_path):  # noqa: F811
    graph, _, _, pixels = shapes_design
    generate_hls(graph, tmp_path, target_cycles=8192)
    report = csim(graph, tmp_path / "hls", pixels[:2])
    assert report.divergence is None, report.divergence.describe()
    assert report.exact_images == 2
