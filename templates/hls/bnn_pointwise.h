// Pointwise kernels on fixed-point streams: per-channel affine, binariser, shortcut adder.
// LANES channels per beat, FOLDS beats per pixel, channel fold innermost.
#ifndef BNN_POINTWISE_H
#define BNN_POINTWISE_H

#include "bnn_common.h"

namespace bnn {

// out[c] = sat(rshift_round(mult[c] * x + bias[c], SHIFT)); ROUNDED_BIAS already holds
// bias + 2^(SHIFT-1), so the rounding is a plain arithmetic shift of the sum.
template <int LANES, int FOLDS, int PIXELS, int IN_W, bool IN_SIGNED, int OUT_W, int MULT_W,
          int BIAS_W, int PRODUCT_W, int SUM_W, int SHIFT, bool CLAMP_LO, bool CLAMP_HI,
          long long OUT_LO, long long OUT_HI, typename MultT, typename BiasT>
void affine(hls::stream<ap_uint<LANES * IN_W> >& in, hls::stream<ap_uint<LANES * OUT_W> >& out,
            const MultT mults[FOLDS * LANES], const BiasT rounded_biases[FOLDS * LANES]) {
#pragma HLS ARRAY_PARTITION variable=mults cyclic factor=LANES dim=1
#pragma HLS ARRAY_PARTITION variable=rounded_biases cyclic factor=LANES dim=1
    int fold = 0;
    for (int beat = 0; beat < PIXELS * FOLDS; beat++) {
#pragma HLS PIPELINE II=1
        limb_t word[Limbs<LANES * IN_W>::N];
        limb_t result[Limbs<LANES * OUT_W>::N] = {};
#pragma HLS ARRAY_PARTITION variable=word complete
#pragma HLS ARRAY_PARTITION variable=result complete
        split<LANES * IN_W>(in.read(), word);
        for (int i = 0; i < LANES; i++) {
#pragma HLS UNROLL
            const ap_int<MULT_W> mult = mults[fold * LANES + i];
            const ap_int<BIAS_W> bias = rounded_biases[fold * LANES + i];
            const ap_int<PRODUCT_W> product = lane<IN_W, IN_SIGNED>(word, i) * mult;
            const ap_int<SUM_W> total = product + bias;
            const ap_int<SUM_W - SHIFT> shifted = total >> SHIFT;
            set_lane<OUT_W>(result, i,
                            saturate<OUT_W, CLAMP_LO, CLAMP_HI, OUT_LO, OUT_HI>(shifted));
        }
        out.write(join<LANES * OUT_W>(result));
        fold = fold == FOLDS - 1 ? 0 : fold + 1;
    }
}

// bit c = (x_c >= 0): the inverted sign bit; all CHANNELS of a pixel in one beat out.
template <int CHANNELS, int LANES, int FOLDS, int PIXELS, int IN_W>
void binarise(hls::stream<ap_uint<LANES * IN_W> >& in, hls::stream<ap_uint<CHANNELS> >& out) {
    ap_uint<FOLDS * LANES> bits = 0;
    int fold = 0;
    for (int beat = 0; beat < PIXELS * FOLDS; beat++) {
#pragma HLS PIPELINE II=1
        const ap_uint<LANES * IN_W> word = in.read();
        for (int i = 0; i < LANES; i++) {
#pragma HLS UNROLL
            bits[fold * LANES + i] = !word[i * IN_W + IN_W - 1];
        }
        if (fold == FOLDS - 1) out.write(bits.range(CHANNELS - 1, 0));
        fold = fold == FOLDS - 1 ? 0 : fold + 1;
    }
}

// out = sat(align(conv, CONV_SHIFT) + align(skip, SKIP_SHIFT)) in WORK_W bits throughout.
template <int LANES, int FOLDS, int PIXELS, int CONV_W, int SKIP_W, int OUT_W, int WORK_W,
          int CONV_SHIFT, int SKIP_SHIFT, bool CLAMP_LO, bool CLAMP_HI, long long OUT_LO,
          long long OUT_HI>
void shortcut_add(hls::stream<ap_uint<LANES * CONV_W> >& conv,
                  hls::stream<ap_uint<LANES * SKIP_W> >& skip,
                  hls::stream<ap_uint<LANES * OUT_W> >& out) {
    for (int beat = 0; beat < PIXELS * FOLDS; beat++) {
#pragma HLS PIPELINE II=1
        limb_t conv_word[Limbs<LANES * CONV_W>::N];
        limb_t skip_word[Limbs<LANES * SKIP_W>::N];
        limb_t result[Limbs<LANES * OUT_W>::N] = {};
#pragma HLS ARRAY_PARTITION variable=conv_word complete
#pragma HLS ARRAY_PARTITION variable=skip_word complete
#pragma HLS ARRAY_PARTITION variable=result complete
        split<LANES * CONV_W>(conv.read(), conv_word);
        split<LANES * SKIP_W>(skip.read(), skip_word);
        for (int i = 0; i < LANES; i++) {
#pragma HLS UNROLL
            const ap_int<WORK_W> a = lane<CONV_W, true>(conv_word, i);
            const ap_int<WORK_W> b = lane<SKIP_W, true>(skip_word, i);
            const ap_int<WORK_W> total = align<CONV_SHIFT>(a) + align<SKIP_SHIFT>(b);
            set_lane<OUT_W>(result, i,
                            saturate<OUT_W, CLAMP_LO, CLAMP_HI, OUT_LO, OUT_HI>(total));
        }
        out.write(join<LANES * OUT_W>(result));
    }
}

}  // namespace bnn

#endif
