"""cocotb testbench of a board's UART link: a UART driver (cocotbext-uart) sends each request
of ``LINK_PLAN`` to ``rx`` and reads its reply from ``tx``; the replies go to ``LINK_RESULTS``
for the pytest side to decode with the host's protocol code and compare with the golden
model."""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, with_timeout
from cocotbext.uart import UartSink, UartSource


async def _read(sink: UartSink, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:  # UartSink.read returns once any byte is there
        data += await sink.read(1)
    return bytes(data)


@cocotb.test()
async def link_answers_each_request(dut):
    with open(os.environ["LINK_PLAN"]) as f:
        plan = json.load(f)
    cocotb.start_soon(Clock(dut.clk, plan["clock_ns"], unit="ns").start())
    source = UartSource(dut.rx, baud=plan["baud"], bits=8, stop_bits=1)
    sink = UartSink(dut.tx, baud=plan["baud"], bits=8, stop_bits=1)
    dut.rst.value = 1
    await ClockCycles(dut.clk, 4)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 4)
    replies = []
    for request in plan["requests"]:
        await source.write(bytes.fromhex(request))
        reply = await with_timeout(_read(sink, plan["reply_bytes"]), plan["timeout_us"], "us")
        replies.append(reply.hex())
    with open(os.environ["LINK_RESULTS"], "w") as f:
        json.dump({"replies": replies, "unexpected": bytes(sink.read_nowait()).hex()}, f)
