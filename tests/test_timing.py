"""Pipeline depths chosen from the target clock, and the reading of nextpnr's report. The
place-and-route figures themselves are `make bench-timing`'s."""

from __future__ import annotations

import pytest

from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.reduction_tree import ReductionTree
from bnn_hls.hw.timing import RtlTiming
from bnn_hls.tools.nextpnr import LFE5U_85F, PnrResult
from bnn_hls.tools.yosys import find_yowasp

# Shaped like nextpnr-ecp5 0.11's --report (a harnessed tile): one clocked path, two I/O ones.
REPORT = {
    "fmax": {"$glbnet$clk": {"achieved": 151.5, "constraint": 200}},
    "utilization": {"TRELLIS_COMB": {"used": 692, "available": 83640},
                    "MULT18X18D": {"used": 8, "available": 156}},
    "critical_paths": [
        {"from": "posedge $glbnet$clk", "to": "posedge $glbnet$clk", "path": [
            {"type": "clk-to-q", "delay": 0.5, "from": {"cell": "a", "port": "Q"},
             "to": {"cell": "a", "port": "Q"}},
            {"type": "routing", "delay": 1.0, "from": {"cell": "a", "port": "Q"},
             "to": {"cell": "lut", "port": "A"}},
            {"type": "logic", "delay": 0.4, "from": {"cell": "lut", "port": "A"},
             "to": {"cell": "lut", "port": "Z"}},
            {"type": "setup", "delay": 0.1, "from": {"cell": "lut", "port": "Z"},
             "to": {"cell": "b", "port": "DI"}}]},
        {"from": "<async>", "to": "posedge $glbnet$clk", "path": [
            {"type": "source", "delay": 9.0, "from": {"cell": "pin", "port": "O"},
             "to": {"cell": "c", "port": "M"}}]},
    ],
}


def test_report_is_read_into_typed_figures():
    result = PnrResult.from_report(REPORT)
    assert result.fmax == 151.5 and result.constraint_mhz == {"$glbnet$clk": 200.0}
    assert result.used("TRELLIS_COMB") == 692 and result.used("DP16KD") == 0
    path = result.worst_path  # the longer I/O path is not a register-to-register one
    assert (path.start, path.end, path.logic_levels) == ("a", "b", 1)
    assert path.delay_ns == pytest.approx(2.0)
    assert LFE5U_85F.flags == ["--85k", "--package", "CABGA381", "--speed", "6"]


def test_a_report_without_clocks_is_an_error():
    with pytest.raises(BnnHlsError, match="no clock"):
        _ = PnrResult.from_report({}).fmax


def test_a_missing_tool_is_one_clear_error():
    with pytest.raises(BnnHlsError, match="yowasp-nextpnr-nowhere is not installed"):
        find_yowasp("yowasp-nextpnr-nowhere")


def test_a_faster_clock_buys_more_register_ranks():
    # 64 popcount bits: a tree 10 adders deep, then the accumulator.
    assert [RtlTiming(mhz).popcount_stages(64) for mhz in (100, 150, 200)] == [1, 2, 5]
    assert [RtlTiming(mhz).pool_tree_stages(3) for mhz in (100, 150, 200)] == [0, 1, 2]
    # 16 products: four levels of wide adders, then the running sum.
    assert [RtlTiming(mhz).product_tree_stages(16) for mhz in (100, 150, 200)] == [1, 2, 4]
    with pytest.raises(BnnHlsError, match="--clock-mhz 0"):
        RtlTiming(0)


def test_reduction_tree_ranks_spread_over_the_tree():
    assert ReductionTree(3, 0).registered == ()
    assert ReductionTree(3, 1).registered == (2,)  # the root: two compares, then the fold
    assert ReductionTree(3, 2).registered == (1, 2)
    assert [[n.name for n in level] for level in ReductionTree(3, 2).levels] == [
        ["level1_0", "level1_1"], ["level2_0"]]
    assert ReductionTree(3, 2).root == "level2_0" and ReductionTree(1, 0).root == "leaf0"
    with pytest.raises(ValueError, match="at most 2"):
        ReductionTree(3, 3)
