"""What the C-sim build and its ctypes bridge add around the generated C++: port beats packed
straight into 64-bit limbs exactly as ``StreamLayout.pack`` packs them, and the one vendor
header the build copies with ``clearUnusedBits`` no longer volatile (and nothing else)."""

import numpy as np
import pytest

from bnn_hls.hw.layout import StreamLayout
from bnn_hls.tools.csim import from_limbs, pack_limbs, unpack_limbs
from bnn_hls.tools.gxx import AP_PRIVATE, VOLATILE_CLEAR, ap_types_dir, ap_types_include

# (channels, lanes, width, signed): one-limb beats, lanes across a limb boundary (19 x 4,
# 40 x 3), a padded last fold (9 channels in lanes of 4), whole-limb lanes.
LAYOUTS = [(1, 1, 8, False), (3, 3, 8, False), (10, 1, 19, True), (10, 4, 19, True),
           (7, 3, 40, True), (9, 4, 17, False), (5, 5, 64, True)]


@pytest.mark.parametrize("channels, lanes, width, signed", LAYOUTS)
def test_port_limbs_are_the_layouts_beats(channels, lanes, width, signed):
    layout = StreamLayout(channels, lanes, width, signed)
    low, high = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    x = np.random.default_rng(width).integers(low, high, (3, channels, 2, 2), endpoint=True)
    x[0, 0, 0, 0], x[-1, -1, -1, -1] = low, high
    assert from_limbs(pack_limbs(layout, x), layout.beat_width) == \
        [word for word, _ in layout.pack(x)]
    logits = x[:, :, 0, 0]
    assert (unpack_limbs(layout, pack_limbs(layout, logits), 3) == logits).all()


def test_a_port_of_other_channels_is_refused():
    with pytest.raises(ValueError, match="2 channels on a port"):
        pack_limbs(StreamLayout(3, 3, 8, False), np.zeros((1, 2, 4, 4), dtype=np.int64))


def test_the_patched_header_drops_only_the_volatile_qualifier(tmp_path):
    patched, vendor = ap_types_include(tmp_path)
    assert vendor == ap_types_dir() and patched == tmp_path / "ap_types"
    original = (vendor / AP_PRIVATE).read_text().splitlines()
    copied = (patched / AP_PRIVATE).read_text().splitlines()
    assert len(copied) == len(original)
    changed = [(a, b) for a, b in zip(original, copied, strict=True) if a != b]
    assert len(changed) == 2
    assert all(a.strip() == VOLATILE_CLEAR and b.strip() == VOLATILE_CLEAR.removesuffix(
        " volatile") for a, b in changed)


def test_other_vendor_headers_are_used_as_they_are(tmp_path, monkeypatch):
    vendor = tmp_path / "xilinx" / "include"
    (vendor / "etc").mkdir(parents=True)
    (vendor / "ap_int.h").write_text("// Vitis's own\n")
    (vendor / AP_PRIVATE).write_text("INLINE void clearUnusedBits(void) {}\n")
    monkeypatch.setenv("XILINX_HLS", str(tmp_path / "xilinx"))
    assert ap_types_include(tmp_path / "build") == [vendor]
    assert not (tmp_path / "build").exists()
