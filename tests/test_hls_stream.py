"""The project's C-simulation stream: an empty read is an error naming the stream (a deadlock
in hardware), data left behind is an error, peak occupancy and traced beats are recorded, and
a stream<T, DEPTH> is a stream<T> as in Vitis; a new stream reuses a finished one's storage,
empty."""

import subprocess

import pytest

from bnn_hls.backends.hls.design import template_dir
from bnn_hls.tools.gxx import STANDARD, WARNINGS, ap_types_dir, compiler

# One xdist worker runs the whole module: its build, in a module fixture's directory, once.
pytestmark = pytest.mark.xdist_group("hls_stream")

PROGRAM = r"""
#include <hls_stream.h>
#include <iostream>

static void pass(hls::stream<ap_uint<12> >& in, hls::stream<ap_uint<12> >& out, int n) {
    for (int i = 0; i < n; i++) out.write(in.read());
}

int main() {
    bnn_csim::trace("b");
    bnn_csim::registry().tracing = true;
    {
        hls::stream<ap_uint<12>, 4> a("a");
        hls::stream<ap_uint<12>, 2> b("b");
        for (int i = 0; i < 5; i++) a.write(100 + i);
        pass(a, b, 5);
        pass(b, a, 5);
        for (int i = 0; i < 5; i++) a.read();
        try {
            a.read();
        } catch (const bnn_csim::StreamError& error) {
            std::cout << "caught: " << error.what() << "\n";
        }
        a.write(7);
    }
    {  // takes over the storage a left behind, emptied
        hls::stream<ap_uint<12> > c("c");
        std::cout << "reused c holds " << c.size();
        c.write(9);
        std::cout << ", reads " << c.read() << "\n";
    }
    std::cout << "peak a " << bnn_csim::registry().channels["a"].peak << "\n";
    std::cout << "beats b";
    for (auto beat : bnn_csim::registry().channels["b"].beats) std::cout << " " << beat;
    std::cout << "\nbeats a " << bnn_csim::registry().channels["a"].beats.size() << "\n";
    std::cout << "errors: " << bnn_csim::registry().errors.at(0) << "\n";
}
"""


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    build = tmp_path_factory.mktemp("stream")
    (build / "main.cpp").write_text(PROGRAM)
    subprocess.run([compiler(), STANDARD, "-O1", *WARNINGS, f"-I{template_dir() / 'csim'}",
                    "-isystem", str(ap_types_dir()), str(build / "main.cpp"), "-o",
                    str(build / "main")], check=True)
    return subprocess.run([str(build / "main")], capture_output=True, text=True,
                          check=True).stdout.splitlines()


def test_an_empty_read_names_the_stream(output):
    assert "caught: read from empty stream 'a' (a deadlock in hardware)" in output


def test_peak_occupancy_is_recorded(output):
    assert "peak a 5" in output


def test_only_traced_streams_record_their_beats(output):
    assert "beats b 100 101 102 103 104" in output
    assert "beats a 0" in output


def test_data_left_in_a_stream_is_an_error(output):
    assert "errors: stream 'a' still holds 1 beats" in output


def test_a_new_stream_reuses_storage_empty(output):
    assert "reused c holds 0, reads 9" in output
