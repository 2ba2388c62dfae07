// Matrix-vector units, folded as finn-hlslib's MVAU: per output pixel, SF = N/SIMD input
// beats are read once (at neuron fold 0), kept, and replayed for the NF = Cout/PE neuron
// folds; PE accumulators; one output beat of PE lanes per neuron fold.
#ifndef BNN_MVU_H
#define BNN_MVU_H

#include "bnn_common.h"

namespace bnn {

// XNOR-popcount: input beats {valid[SIMD], act[SIMD]}; per output channel
// dot = 2 * popcount(valid & ~(act ^ w)) - popcount(valid), so padding taps count 0.
// weights[pe][nf*SF + sf]: channel nf*PE + pe's inputs [sf*SIMD, (sf+1)*SIMD), as LIMBS
// 64-bit limbs, least significant first; beats are split the same way when read, so the
// XNOR and popcount work on 64-bit words (bits past SIMD are 0 in all three).
template <int SIMD, int PE, int SF, int NF, int PIXELS, int COUNT_W, int DOT_W, typename LimbT,
          int LIMBS>
void xnor_mvu(hls::stream<ap_uint<2 * SIMD> >& in, hls::stream<ap_uint<PE * DOT_W> >& out,
              const LimbT weights[PE][NF * SF][LIMBS]) {
#pragma HLS ARRAY_PARTITION variable=weights complete dim=1
#pragma HLS ARRAY_PARTITION variable=weights complete dim=3
    limb_t act[SF][LIMBS];
    limb_t valid[SF][LIMBS];
#pragma HLS ARRAY_PARTITION variable=act complete dim=2
#pragma HLS ARRAY_PARTITION variable=valid complete dim=2
    ap_uint<COUNT_W> valid_counts[SF];  // popcount(valid) of each kept beat
    ap_uint<COUNT_W> matches[PE];
#pragma HLS ARRAY_PARTITION variable=matches complete
    ap_uint<COUNT_W> valid_count = 0;
    int sf = 0, nf = 0;
    for (int step = 0; step < PIXELS * NF * SF; step++) {
#pragma HLS PIPELINE II=1
        if (nf == 0) {
            limb_t beat[Limbs<2 * SIMD>::N];
#pragma HLS ARRAY_PARTITION variable=beat complete
            split<2 * SIMD>(in.read(), beat);
            for (int limb = 0; limb < LIMBS; limb++) {
#pragma HLS UNROLL
                // Bits past SIMD of the last limb are cleared (its valid bits, for act).
                const int bits = SIMD - limb * LIMB_BITS;
                const limb_t mask = bits < LIMB_BITS ? (1ULL << bits) - 1 : ~0ULL;
                act[sf][limb] = beat[limb] & mask;
                valid[sf][limb] = bits_at<Limbs<2 * SIMD>::N>(beat, SIMD + limb * LIMB_BITS) & mask;
            }
            unsigned count = 0;
            for (int limb = 0; limb < LIMBS; limb++) {
#pragma HLS UNROLL
                count += popcount64(valid[sf][limb]);
            }
            valid_counts[sf] = count;
        }
        if (sf == 0) valid_count = 0;
        valid_count += valid_counts[sf];
        for (int pe = 0; pe < PE; pe++) {
#pragma HLS UNROLL
            unsigned count = 0;
            for (int limb = 0; limb < LIMBS; limb++) {
#pragma HLS UNROLL
                const limb_t w = weights[pe][nf * SF + sf][limb];
                count += popcount64(valid[sf][limb] & ~(act[sf][limb] ^ w));
            }
            matches[pe] = (sf == 0 ? ap_uint<COUNT_W>(0) : matches[pe]) + count;
        }
        if (sf == SF - 1) {
            limb_t result[Limbs<PE * DOT_W>::N] = {};
#pragma HLS ARRAY_PARTITION variable=result complete
            for (int pe = 0; pe < PE; pe++) {
#pragma HLS UNROLL
                // 2 * matches as a shift: a multiply of ap_int results wider than 32 bits
                // runs ap_private's heap-allocating long multiply in C-sim.
                const ap_int<COUNT_W + 2> twice = ap_int<COUNT_W + 2>(matches[pe]) << 1;
                const ap_int<DOT_W> dot = twice - valid_count;
                set_lane<DOT_W>(result, pe, dot);
            }
            out.write(join<PE * DOT_W>(result));
        }
        if (++sf == SF) {
            sf = 0;
            nf = nf == NF - 1 ? 0 : nf + 1;
        }
    }
}

// Real-valued: out[o] = sum_i W[o, i] * x[i] over signed ELEM_W-bit inputs; WITH_VALID input
// beats are {valid[SIMD], data[SIMD x ELEM_W]} and elements with valid 0 contribute 0.
// weights[nf*SF + sf][pe][s] = W[nf*PE + pe, sf*SIMD + s].
template <int SIMD, int PE, int SF, int NF, int PIXELS, int ELEM_W, bool WITH_VALID,
          int WEIGHT_W, int PRODUCT_W, int ACC_W, typename WeightT>
void real_mvu(hls::stream<ap_uint<SIMD * (ELEM_W + (WITH_VALID ? 1 : 0))> >& in,
              hls::stream<ap_uint<PE * ACC_W> >& out, const WeightT weights[NF * SF][PE][SIMD]) {
#pragma HLS ARRAY_PARTITION variable=weights complete dim=2
#pragma HLS ARRAY_PARTITION variable=weights complete dim=3
    const int BEAT_W = SIMD * (ELEM_W + (WITH_VALID ? 1 : 0));
    const int BEAT_LIMBS = Limbs<BEAT_W>::N;
    limb_t window[SF][BEAT_LIMBS];
#pragma HLS ARRAY_PARTITION variable=window complete dim=2
    ap_int<ACC_W> acc[PE];
#pragma HLS ARRAY_PARTITION variable=acc complete
    int sf = 0, nf = 0;
    for (int step = 0; step < PIXELS * NF * SF; step++) {
#pragma HLS PIPELINE II=1
        if (nf == 0) split<BEAT_W>(in.read(), window[sf]);
        const limb_t (&beat)[BEAT_LIMBS] = window[sf];
        for (int pe = 0; pe < PE; pe++) {
#pragma HLS UNROLL
            if (sf == 0) acc[pe] = 0;
            for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
                const bool valid = !WITH_VALID || (bits_at<BEAT_LIMBS>(beat, SIMD * ELEM_W + s) & 1);
                const ap_int<WEIGHT_W> weight = weights[nf * SF + sf][pe][s];
                const ap_int<PRODUCT_W> product = lane<ELEM_W, true>(beat, s) * weight;
                if (valid) acc[pe] += product;
            }
        }
        if (sf == SF - 1) {
            limb_t result[Limbs<PE * ACC_W>::N] = {};
#pragma HLS ARRAY_PARTITION variable=result complete
            for (int pe = 0; pe < PE; pe++) {
#pragma HLS UNROLL
                set_lane<ACC_W>(result, pe, acc[pe]);
            }
            out.write(join<PE * ACC_W>(result));
        }
        if (++sf == SF) {
            sf = 0;
            nf = nf == NF - 1 ? 0 : nf + 1;
        }
    }
}

}  // namespace bnn

#endif
