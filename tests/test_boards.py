"""Board descriptions: every shipped board loads with its part and resources; an unknown name
is one line naming the known ones."""

import pytest

from bnn_hls.boards import known_boards, load_board
from bnn_hls.errors import BnnHlsError
from bnn_hls.hw.technology import Technology

REQUIRED = {
    "ulx3s": "LFE5U-85F-6BG381C",
    "ecp5-evn": "LFE5UM5G-85F-8BG381C",
    "orangecrab": "LFE5U-25F-8MG285C",
    "pynq-z2": "xc7z020clg400-1",
    "ultra96": "xczu3eg-sbva484-1-i",
    "zcu104": "xczu7ev-ffvc1156-2-e",
    "kv260": "xck26-sfvc784-2LV-c",
}


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_each_required_board_loads(name):
    board = load_board(name)
    assert board.part == REQUIRED[name]
    assert board.resources.luts > 20_000 and board.resources.bram_bits > 1_000_000
    assert board.clock_mhz > 0


def test_families_and_memories():
    assert load_board("ulx3s").technology is Technology.LATTICE_ECP5
    assert load_board("ulx3s").resources.bram_bits == 208 * 18 * 1024  # 208 DP16KD
    assert load_board("zcu104").resources.uram_bits == 96 * 288 * 1024
    assert load_board("pynq-z2").resources.uram_bits == 0


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(BnnHlsError) as error:
        load_board("de10-nano")
    message = str(error.value)
    assert "'de10-nano'" in message and "\n" not in message
    assert all(name in message for name in known_boards())


@pytest.mark.parametrize("name", ["ulx3s", "ecp5-evn", "orangecrab"])
def test_ecp5_boards_name_their_device_and_pins(name):
    board = load_board(name)
    ecp5 = board.ecp5
    assert ecp5.device.part == board.part and ecp5.device.flags[0].startswith("--")
    sites = [ecp5.clock.site, ecp5.uart_tx.site, ecp5.uart_rx.site, ecp5.reset.site,
             *(led.site for led in ecp5.leds)]
    assert len(set(sites)) == len(sites)  # no ball used twice
    assert ecp5.uart_note


def test_the_ulx3s_pins_are_the_documented_ones():
    ecp5 = load_board("ulx3s").ecp5
    assert (ecp5.clock.site, ecp5.uart_tx.site, ecp5.uart_rx.site) == ("G2", "L4", "M1")
    assert ecp5.device.flags == ["--85k", "--package", "CABGA381", "--speed", "6"]
    assert load_board("orangecrab").ecp5.bitstream_mhz == 38.8
    assert load_board("zcu104").ecp5 is None
