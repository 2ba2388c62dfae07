// The generic half of the C-simulation ABI (the generated bridge adds bnn_csim_run): errors,
// traced beats and channel occupancy, by stream name. g++ only, never synthesised.
#ifndef BNN_CSIM_ABI_H
#define BNN_CSIM_ABI_H

#include <ap_int.h>
#include <hls_stream.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace bnn_csim {

inline std::string& last_error() {
    static std::string message;
    return message;
}

template <int W>
ap_uint<W> from_limbs(const uint64_t* limbs, int count) {
    ap_uint<W> value = 0;
    for (int limb = 0; limb < count; limb++) {
        const int hi = limb * 64 + 63 < W - 1 ? limb * 64 + 63 : W - 1;
        value.range(hi, limb * 64) = limbs[limb];
    }
    return value;
}

template <int W>
void to_limbs(const ap_uint<W>& value, uint64_t* limbs, int count) {
    for (int limb = 0; limb < count; limb++) {
        const int hi = limb * 64 + 63 < W - 1 ? limb * 64 + 63 : W - 1;
        limbs[limb] = value.range(hi, limb * 64).to_uint64();
    }
}

// Data left in a stream after an image is an error (the dataflow would not drain).
inline void check_leftovers() {
    std::vector<std::string>& errors = registry().errors;
    if (errors.empty()) return;
    const std::string first = errors.front();
    errors.clear();
    throw StreamError(first);
}

inline const ChannelRecord* find(const char* name) {
    const auto found = registry().channels.find(name);
    return found == registry().channels.end() ? nullptr : &found->second;
}

}  // namespace bnn_csim

extern "C" {

const char* bnn_csim_error() { return bnn_csim::last_error().c_str(); }

void bnn_csim_trace(const char* name) { bnn_csim::trace(name); }

// Record the traced streams' beats (on) or only their peaks (off).
void bnn_csim_tracing(int on) { bnn_csim::registry().tracing = on != 0; }

// Forget traced beats and peaks (the set of traced streams stays).
void bnn_csim_clear() {
    for (auto& entry : bnn_csim::registry().channels) {
        entry.second.peak = 0;
        entry.second.beats.clear();
    }
}

// Traced 64-bit words of a stream (beats x limbs), -1 for an unknown stream.
long bnn_csim_traced_words(const char* name) {
    const bnn_csim::ChannelRecord* channel = bnn_csim::find(name);
    return channel ? static_cast<long>(channel->beats.size()) : -1;
}

void bnn_csim_copy_trace(const char* name, uint64_t* words) {
    const bnn_csim::ChannelRecord* channel = bnn_csim::find(name);
    if (channel && !channel->beats.empty()) {
        std::memcpy(words, channel->beats.data(), channel->beats.size() * sizeof(uint64_t));
    }
}

long bnn_csim_peak(const char* name) {
    const bnn_csim::ChannelRecord* channel = bnn_csim::find(name);
    return channel ? channel->peak : -1;
}

}  // extern "C"

#endif
