// Lane access, popcount, rounding and saturation shared by every bnn-hls kernel.
// Arithmetic is docs/numerics.md, in ap_int/ap_uint integers only.
#ifndef BNN_COMMON_H
#define BNN_COMMON_H

#include <ap_int.h>
#include <hls_stream.h>

namespace bnn {

// Lane i of a beat, sign- or zero-extended by one bit so signed and unsigned lanes share a
// type (stream layout: lane i at bits [i*W +: W]). Beats of up to 64 bits are shifted as
// one machine word: the same wires, without ap_private's generic shifts in C-sim.
template <int W, bool SIGNED, int BEAT_W>
ap_int<W + 1> lane(const ap_uint<BEAT_W>& beat, int i) {
#pragma HLS INLINE
    static_assert(W <= 64, "lanes of at most 64 bits");
    const ap_uint<W> bits = BEAT_W <= 64 ? beat.to_uint64() >> (i * W)
                                         : (beat >> (i * W)).to_uint64();
    if (SIGNED) return ap_int<W>(bits);
    return bits;
}

// Sets lane i of a beat whose lane i is still 0.
template <int W, int BEAT_W, typename T>
void set_lane(ap_uint<BEAT_W>& beat, int i, const T& value) {
#pragma HLS INLINE
    const ap_uint<W> bits = value;
    if (BEAT_W <= 64) {
        beat = beat.to_uint64() | (bits.to_uint64() << (i * W));
    } else {
        beat |= ap_uint<BEAT_W>(bits) << (i * W);
    }
}

// Bits set in a 64-bit word: a shift-and-add tree, no multiplier.
inline unsigned popcount64(unsigned long long v) {
#pragma HLS INLINE
    v = v - ((v >> 1) & 0x5555555555555555ULL);
    v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
    v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    v += v >> 8;
    v += v >> 16;
    v += v >> 32;
    return static_cast<unsigned>(v & 0x7f);
}

// align(x, F_from, F_to) with SHIFT = F_from - F_to: rshift_round for SHIFT > 0 (add half an
// LSB, arithmetic shift), an exact left shift for SHIFT < 0; W holds every intermediate.
template <int SHIFT, int W>
ap_int<W> align(const ap_int<W>& x) {
#pragma HLS INLINE
    const int right = SHIFT > 0 ? SHIFT : 0;
    const int left = SHIFT < 0 ? -SHIFT : 0;
    const ap_int<W> half = SHIFT > 0 ? (ap_int<W>(1) << (right > 0 ? right - 1 : 0)) : ap_int<W>(0);
    const ap_int<W> rounded = x + half;
    if (SHIFT > 0) return rounded >> right;
    return x << left;
}

// Clamp to [LO, HI] on the sides the plan proved reachable; elsewhere the value fits OUT_W.
// A reachable side's limit lies inside x's range, so it is compared in x's own width.
template <int OUT_W, bool CLAMP_LO, bool CLAMP_HI, long long LO, long long HI, int W>
ap_int<OUT_W> saturate(const ap_int<W>& x) {
#pragma HLS INLINE
    if (CLAMP_LO && x < ap_int<W>(LO)) return ap_int<OUT_W>(LO);
    if (CLAMP_HI && x > ap_int<W>(HI)) return ap_int<OUT_W>(HI);
    return x;
}

}  // namespace bnn

#endif
