// Windowed kernels: the sliding-window generator of the convolutions and the window pools.
// Both keep the last K image rows of input beats and emit an output pixel as soon as its
// window's bottom-right in-image pixel has arrived, which is what the plan's skip FIFO depths
// assume. One loop of fixed trip count reads one beat or emits one beat per iteration.
#ifndef BNN_WINDOW_H
#define BNN_WINDOW_H

#include "bnn_common.h"

namespace bnn {

// The last K rows of an H x W image of FOLDS beats per pixel, and the output pixel whose
// K x K window (stride S, zero padding P) is emitted next.
template <int WORD_W, int H, int W, int K, int S, int P, int OUT_H, int OUT_W, int FOLDS>
class SlidingRows {
  public:
    static const int IN_BEATS = H * W * FOLDS;

    // The next output's bottom-right in-image pixel has been read.
    bool output_ready() const {
#pragma HLS INLINE
        const int row = oh_ * S - P + K - 1 < H - 1 ? oh_ * S - P + K - 1 : H - 1;
        const int col = ow_ * S - P + K - 1 < W - 1 ? ow_ * S - P + K - 1 : W - 1;
        return oh_ < OUT_H && beats_in_ >= (row * W + col + 1) * FOLDS;
    }

    void push(const ap_uint<WORD_W>& beat) {
#pragma HLS INLINE
        const int pixel = beats_in_ / FOLDS;
        rows_[(pixel / W) % K][pixel % W][beats_in_ % FOLDS] = beat;
        beats_in_++;
    }

    bool in_image(int kh, int kw) const {
#pragma HLS INLINE
        const int row = oh_ * S - P + kh;
        const int col = ow_ * S - P + kw;
        return row >= 0 && row < H && col >= 0 && col < W;
    }

    // Beat ``fold`` of tap (kh, kw) of the next output; only for in-image taps.
    ap_uint<WORD_W> tap(int kh, int kw, int fold) const {
#pragma HLS INLINE
        return rows_[(oh_ * S - P + kh) % K][ow_ * S - P + kw][fold];
    }

    void next_output() {
#pragma HLS INLINE
        if (++ow_ == OUT_W) {
            ow_ = 0;
            oh_++;
        }
    }

  private:
    ap_uint<WORD_W> rows_[K][W][FOLDS];
    int beats_in_ = 0;
    int oh_ = 0;
    int ow_ = 0;
};

// Sliding-window generator: one beat of CHANNELS x ELEM_W bits per input pixel; per output
// pixel BEATS beats of {valid[SIMD], data[SIMD x ELEM_W]} over the N = K*K*CHANNELS window
// elements (element (kh*K + kw)*CHANNELS + c); padding taps and elements past N: valid 0,
// data 0.
template <int CHANNELS, int H, int W, int K, int S, int P, int OUT_H, int OUT_W, int SIMD,
          int ELEM_W, int BEATS>
void window(hls::stream<ap_uint<CHANNELS * ELEM_W> >& in,
            hls::stream<ap_uint<SIMD * (ELEM_W + 1)> >& out) {
    SlidingRows<CHANNELS * ELEM_W, H, W, K, S, P, OUT_H, OUT_W, 1> rows;
#pragma HLS ARRAY_PARTITION variable=rows.rows_ complete dim=1
    // A tap's CHANNELS elements are contiguous in the window vector: each in-image tap
    // overlapping this beat's elements [beat*SIMD, beat*SIMD + SIMD) is ORed in at its offset,
    // its data into bits [0, DATA_W) and its valid bits into [DATA_W, BEAT_W).
    const int PIXEL_W = CHANNELS * ELEM_W;
    const int DATA_W = SIMD * ELEM_W;
    const int BEAT_W = SIMD * (ELEM_W + 1);
    const int BEAT_LIMBS = Limbs<BEAT_W>::N;
    int beat = 0;
    for (int step = 0; step < rows.IN_BEATS + OUT_H * OUT_W * BEATS; step++) {
#pragma HLS PIPELINE II=1
        if (!rows.output_ready()) {
            rows.push(in.read());
            continue;
        }
        limb_t result[BEAT_LIMBS] = {};
#pragma HLS ARRAY_PARTITION variable=result complete
        for (int tap = 0; tap < K * K; tap++) {
#pragma HLS UNROLL
            const int offset = tap * CHANNELS - beat * SIMD;  // elements, may be negative
            if (offset >= SIMD || offset + CHANNELS <= 0 || !rows.in_image(tap / K, tap % K)) {
                continue;
            }
            limb_t pixel[Limbs<PIXEL_W>::N];
#pragma HLS ARRAY_PARTITION variable=pixel complete
            split<PIXEL_W>(rows.tap(tap / K, tap % K, 0), pixel);
            for (int k = 0; k < Limbs<PIXEL_W>::N; k++) {
#pragma HLS UNROLL
                or_bits<BEAT_LIMBS>(result, offset * ELEM_W + k * LIMB_BITS, pixel[k], 0, DATA_W);
            }
            for (int k = 0; k < Limbs<CHANNELS>::N; k++) {
#pragma HLS UNROLL
                const int ones = CHANNELS - k * LIMB_BITS < LIMB_BITS ? CHANNELS - k * LIMB_BITS
                                                                      : LIMB_BITS;
                or_bits<BEAT_LIMBS>(result, DATA_W + offset + k * LIMB_BITS,
                                   ~0ULL >> (LIMB_BITS - ones), DATA_W, BEAT_W);
            }
        }
        out.write(join<BEAT_W>(result));
        if (++beat == BEATS) {
            beat = 0;
            rows.next_output();
        }
    }
}

// Window pool over LANES channels per beat, FOLDS beats per pixel: IS_MAX, the max over the
// in-image taps (padding ignored); otherwise their exact sum in OUT_W bits.
template <bool IS_MAX, int LANES, int FOLDS, int H, int W, int K, int S, int P, int OUT_H,
          int OUT_W, int IN_W, int OUT_ELEM_W>
void pool(hls::stream<ap_uint<LANES * IN_W> >& in,
          hls::stream<ap_uint<LANES * OUT_ELEM_W> >& out) {
    SlidingRows<LANES * IN_W, H, W, K, S, P, OUT_H, OUT_W, FOLDS> rows;
#pragma HLS ARRAY_PARTITION variable=rows.rows_ complete dim=1
    int fold = 0;
    for (int step = 0; step < rows.IN_BEATS + OUT_H * OUT_W * FOLDS; step++) {
#pragma HLS PIPELINE II=1
        if (!rows.output_ready()) {
            rows.push(in.read());
            continue;
        }
        ap_int<OUT_ELEM_W> values[LANES];
#pragma HLS ARRAY_PARTITION variable=values complete
        for (int i = 0; i < LANES; i++) {
#pragma HLS UNROLL
            // Every window has an in-image tap, so the max starts below any input.
            values[i] = 0;
            if (IS_MAX) values[i] = -(ap_int<OUT_ELEM_W + 1>(1) << (IN_W - 1));
        }
        for (int kh = 0; kh < K; kh++) {
            for (int kw = 0; kw < K; kw++) {
                if (!rows.in_image(kh, kw)) continue;
                limb_t tap[Limbs<LANES * IN_W>::N];
#pragma HLS ARRAY_PARTITION variable=tap complete
                split<LANES * IN_W>(rows.tap(kh, kw, fold), tap);
                for (int i = 0; i < LANES; i++) {
#pragma HLS UNROLL
                    const ap_int<IN_W + 1> x = lane<IN_W, true>(tap, i);
                    if (!IS_MAX) values[i] += x;
                    else if (x > values[i]) values[i] = x;
                }
            }
        }
        limb_t result[Limbs<LANES * OUT_ELEM_W>::N] = {};
#pragma HLS ARRAY_PARTITION variable=result complete
        for (int i = 0; i < LANES; i++) {
#pragma HLS UNROLL
            set_lane<OUT_ELEM_W>(result, i, values[i]);
        }
        out.write(join<LANES * OUT_ELEM_W>(result));
        if (++fold == FOLDS) {
            fold = 0;
            rows.next_output();
        }
    }
}

}  // namespace bnn

#endif
