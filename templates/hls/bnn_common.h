// Lane access, popcount, rounding and saturation shared by every bnn-hls kernel.
// Arithmetic is docs/numerics.md, in ap_int/ap_uint integers only.
#ifndef BNN_COMMON_H
#define BNN_COMMON_H

#include <ap_int.h>
#include <hls_stream.h>

namespace bnn {

// Beats as arrays of 64-bit limbs, least significant first. A kernel splits each beat it
// reads once, works on machine words (lane i at bits [i*W +: W]) and joins its output beat
// once: in hardware these are the same wires (every offset is constant once the lane loops
// are unrolled); in C-sim no generic wide ap_uint shift runs per lane.
typedef unsigned long long limb_t;
const int LIMB_BITS = 64;

template <int W>
struct Limbs {
    static const int N = (W + LIMB_BITS - 1) / LIMB_BITS;
};

template <int W>
inline void split(const ap_uint<W>& beat, limb_t limbs[Limbs<W>::N]) {
#pragma HLS INLINE
    ap_uint<W> rest = beat;
    for (int k = 0; k < Limbs<W>::N; k++) {
#pragma HLS UNROLL
        limbs[k] = rest.to_uint64();
        if (k + 1 < Limbs<W>::N) rest >>= LIMB_BITS;
    }
}

// The beat of limbs; bits past W are dropped.
template <int W>
inline ap_uint<W> join(const limb_t limbs[Limbs<W>::N]) {
#pragma HLS INLINE
    ap_uint<W> beat = limbs[Limbs<W>::N - 1];
    for (int k = Limbs<W>::N - 2; k >= 0; k--) {
#pragma HLS UNROLL
        beat = (beat << LIMB_BITS) | ap_uint<W>(limbs[k]);
    }
    return beat;
}

// The 64 bits of N limbs from bit ``at`` up (bits past the last limb read as 0).
template <int N>
inline limb_t bits_at(const limb_t limbs[N], int at) {
#pragma HLS INLINE
    const int k = at / LIMB_BITS;
    const int shift = at % LIMB_BITS;
    limb_t bits = limbs[k] >> shift;
    if (shift > 0 && k + 1 < N) bits |= limbs[k + 1] << (LIMB_BITS - shift);
    return bits;
}

// ORs ``bits`` into N limbs at bit ``at`` (may be negative), keeping only what lands in
// [begin, end).
template <int N>
inline void or_bits(limb_t limbs[N], int at, limb_t bits, int begin, int end) {
#pragma HLS INLINE
    if (at <= begin - LIMB_BITS || at >= end) return;
    if (at < begin) {
        bits >>= begin - at;
        at = begin;
    }
    if (end - at < LIMB_BITS) bits &= (1ULL << (end - at)) - 1;
    const int k = at / LIMB_BITS;
    const int shift = at % LIMB_BITS;
    limbs[k] |= bits << shift;
    if (shift > 0 && k + 1 < N) limbs[k + 1] |= bits >> (LIMB_BITS - shift);
}

// Lane i of a split beat, sign- or zero-extended by one bit so signed and unsigned lanes
// share a type. The extension is done on the machine word (C-sim then builds one ap_int).
template <int W, bool SIGNED, int N>
inline ap_int<W + 1> lane(const limb_t (&limbs)[N], int i) {
#pragma HLS INLINE
    static_assert(W <= LIMB_BITS, "lanes of at most 64 bits");
    const limb_t bits = bits_at<N>(limbs, i * W) << (LIMB_BITS - W);
    if (SIGNED) return ap_int<W + 1>(static_cast<long long>(bits) >> (LIMB_BITS - W));
    return ap_uint<W>(bits >> (LIMB_BITS - W));
}

// Sets lane i (W bits of ``value``, an ap_int or ap_uint) of a beat being built in zeroed
// limbs.
template <int W, int N, typename T>
inline void set_lane(limb_t (&limbs)[N], int i, const T& value) {
#pragma HLS INLINE
    or_bits<N>(limbs, i * W, value.to_uint64() & (~0ULL >> (LIMB_BITS - W)), 0, N * LIMB_BITS);
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
inline ap_int<W> align(const ap_int<W>& x) {
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
inline ap_int<OUT_W> saturate(const ap_int<W>& x) {
#pragma HLS INLINE
    if (CLAMP_LO && x < ap_int<W>(LO)) return ap_int<OUT_W>(LO);
    if (CLAMP_HI && x > ap_int<W>(HI)) return ap_int<OUT_W>(HI);
    return x;
}

}  // namespace bnn

#endif
