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
    const int IN_W = IN_LANES * W;
    const int OUT_W = OUT_LANES * W;
    // Room for the wider of the two beat groupings of one pixel.
    const int PIXEL_W = (IN_FOLDS * IN_W > OUT_FOLDS * OUT_W ? IN_FOLDS * IN_W : OUT_FOLDS * OUT_W);
    const int PIXEL_LIMBS = Limbs<PIXEL_W>::N;
    for (int pixel = 0; pixel < PIXELS; pixel++) {
        limb_t bits[PIXEL_LIMBS] = {};
#pragma HLS ARRAY_PARTITION variable=bits complete
        for (int fold = 0; fold < IN_FOLDS; fold++) {
#pragma HLS PIPELINE II=1
            limb_t word[Limbs<IN_W>::N];
#pragma HLS ARRAY_PARTITION variable=word complete
            split<IN_W>(in.read(), word);
            for (int k = 0; k < Limbs<IN_W>::N; k++) {
#pragma HLS UNROLL
                or_bits<PIXEL_LIMBS>(bits, fold * IN_W + k * LIMB_BITS, word[k],
                                     fold * IN_W, CHANNELS * W);
            }
        }
        for (int fold = 0; fold < OUT_FOLDS; fold++) {
#pragma HLS PIPELINE II=1
            limb_t word[Limbs<OUT_W>::N];
#pragma HLS ARRAY_PARTITION variable=word complete
            for (int k = 0; k < Limbs<OUT_W>::N; k++) {
#pragma HLS UNROLL
                word[k] = bits_at<PIXEL_LIMBS>(bits, fold * OUT_W + k * LIMB_BITS);
            }
            out.write(join<OUT_W>(word));
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
        limb_t word[Limbs<LANES * IN_W>::N];
#pragma HLS ARRAY_PARTITION variable=word complete
        split<LANES * IN_W>(in.read(), word);
        for (int i = 0; i < LANES; i++) {
#pragma HLS UNROLL
            const ap_int<OUT_W> previous = beat < FOLDS ? ap_int<OUT_W>(0) : sums[fold][i];
            sums[fold][i] = previous + lane<IN_W, true>(word, i);
        }
        fold = fold == FOLDS - 1 ? 0 : fold + 1;
    }
    for (int f = 0; f < FOLDS; f++) {
#pragma HLS PIPELINE II=1
        limb_t result[Limbs<LANES * OUT_W>::N] = {};
#pragma HLS ARRAY_PARTITION variable=result complete
        for (int i = 0; i < LANES; i++) {
#pragma HLS UNROLL
            set_lane<OUT_W>(result, i, sums[f][i]);
        }
        out.write(join<LANES * OUT_W>(result));
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
