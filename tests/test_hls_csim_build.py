"""What the C-sim build adds around the generated C++: the one vendor header it copies with
``clearUnusedBits`` no longer volatile (and nothing else). The port beats' limbs are the
stream layout's (tests/test_hw_plan.py)."""

from bnn_hls.tools.gxx import AP_PRIVATE, VOLATILE_CLEAR, ap_types_dir, ap_types_include


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
