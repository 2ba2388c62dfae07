// Stream plumbing: fork, re-laning, global sum, and the AXI4-Stream port adapters.
#ifndef BNN_STREAMS_H
#define BNN_STREAMS_H

#include <ap_axi_sdata.h>

#include "bnn_common.h"

namespace bnn {

// Every beat of ``in`` to each of ``outs``.
template <int BEATS, int BEAT_W, typename... Outs>
void fork(hls::stream<ap_uint<BEAT_W> >& in, Outs&... outs) {
    for (int beat = 0; beat < BEATS; beat++) {
#pragma HLS PIPELINE II=1
        const ap_uint<BEAT_W> word = in.read();
        const int written[] = {(outs.write(word), 0)...};
        (void)written;
    }
}

// A pixel's CHANNELS x W bits from IN_FOLDS beats of IN_LANES lanes to OUT_FOLDS beats of
// OUT_LANES lanes: channel c sits at bits [c*W +: W] of the pixel in both, so the pixel is
// the concatenation of its beats; lanes past the last channel come out 0.
template <int CHANNELS, int W, int IN_LANES, int IN_FOLDS, int OUT_LANES, int OUT_FOLDS,
          int PIXELS>
void relane(hls::stream<ap_uint<IN_LANES * W> >& in, hls::stream<ap_uint<OUT_LANES * W> >& out) {
    // Room for the wider of the two beat groupings of one pixel.
    const int PIXEL_W = (IN_FOLDS * IN_LANES > OUT_FOLDS * OUT_LANES ? IN_FOLDS * IN_LANES
                                                                     : OUT_FOLDS * OUT_LANES) * W;
    for (int pixel = 0; pixel < PIXELS; pixel++) {
        ap_uint<PIXEL_W> bits = 0;
        for (int fold = 0; fold < IN_FOLDS; fold++) {
#pragma HLS PIPELINE II=1
            bits.range(fold * IN_LANES * W + IN_LANES * W - 1, fold * IN_LANES * W) = in.read();
        }
        if (CHANNELS * W < PIXEL_W) bits.range(PIXEL_W - 1, CHANNELS * W) = 0;
        for (int fold = 0; fold < OUT_FOLDS; fold++) {
#pragma HLS PIPELINE II=1
            out.write(bits.range(fold * OUT_LANES * W + OUT_LANES * W - 1, fold * OUT_LANES * W));
        }
    }
}

// Per-channel exact sum over PIXELS pixels; one pixel out per image.
template <int LANES, int FOLDS, int PIXELS, int IN_W, int OUT_W>
void global_sum(hls::stream<ap_uint<LANES * IN_W> >& in, hls::stream<ap_uint<LANES * OUT_W> >& out) {
    ap_int<OUT_W> sums[FOLDS][LANES];
#pragma HLS ARRAY_PARTITION variable=sums complete dim=2
    int fold = 0;
    for (int beat = 0; beat < PIXELS * FOLDS; beat++) {
#pragma HLS PIPELINE II=1
        const ap_uint<LANES * IN_W> word = in.read();
        for (int i = 0; i < LANES; i++) {
#pragma HLS UNROLL
            const ap_int<OUT_W> previous = beat < FOLDS ? ap_int<OUT_W>(0) : sums[fold][i];
            sums[fold][i] = previous + lane<IN_W, true>(word, i);
        }
        fold = fold == FOLDS - 1 ? 0 : fold + 1;
    }
    for (int f = 0; f < FOLDS; f++) {
#pragma HLS PIPELINE II=1
        ap_uint<LANES * OUT_W> result = 0;
        for (int i = 0; i < LANES; i++) {
#pragma HLS UNROLL
            set_lane<OUT_W>(result, i, sums[f][i]);
        }
        out.write(result);
    }
}

// The AXI4-Stream input port's TDATA, BEATS beats per image, onto an internal stream.
template <int BEATS, int W>
void from_axis(hls::stream<hls::axis<ap_uint<W>, 0, 0, 0> >& port, hls::stream<ap_uint<W> >& out) {
    for (int beat = 0; beat < BEATS; beat++) {
#pragma HLS PIPELINE II=1
        out.write(port.read().data);
    }
}

// An internal stream onto the AXI4-Stream output port, TLAST on each image's last beat.
template <int BEATS, int W>
void to_axis(hls::stream<ap_uint<W> >& in, hls::stream<hls::axis<ap_uint<W>, 0, 0, 0> >& port) {
    for (int beat = 0; beat < BEATS; beat++) {
#pragma HLS PIPELINE II=1
        hls::axis<ap_uint<W>, 0, 0, 0> word;
        word.data = in.read();
        word.keep = -1;
        word.strb = -1;
        word.last = beat == BEATS - 1;
        port.write(word);
    }
}

}  // namespace bnn

#endif
