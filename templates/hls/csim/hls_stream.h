// C-simulation stand-in for Vitis HLS's hls::stream (used only by g++ C-sim; under Vitis the
// tool's own hls_stream.h is found first on the include path).
//
// Unlike the permissive simulation streams of other tools, a read from an empty stream is an
// error naming the stream (in hardware it would block forever: a deadlock), data left in a
// stream when it goes out of scope is an error, and the peak occupancy of every named stream
// is recorded beside its declared depth. Streams named by bnn_csim::trace() also record every
// beat written to them.
#ifndef BNN_CSIM_HLS_STREAM_H
#define BNN_CSIM_HLS_STREAM_H

#include <ap_int.h>

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bnn_csim {

struct ChannelRecord {
    long peak = 0;                // largest occupancy seen
    std::vector<uint64_t> beats;  // traced beats, 64-bit limbs least significant first
};

struct Registry {
    std::map<std::string, ChannelRecord> channels;  // nodes never move: streams keep pointers
    std::set<std::string> traced;
    bool tracing = false;  // record the traced streams' beats
    std::vector<std::string> errors;  // leftover data found by destructors
};

inline Registry& registry() {
    static Registry instance;
    return instance;
}

inline void trace(const std::string& name) { registry().traced.insert(name); }

class StreamError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Emptied storage of finished streams of beat type T, for the next stream of that type:
// sequential C-sim fills a stream with a whole tensor, and regrowing a fresh vector in every
// top call (one image) reallocated and copied every beat several times.
template <typename T>
std::vector<std::vector<T> >& spare_storage() {
    static std::vector<std::vector<T> > spares;
    return spares;
}

// Beats of untraceable types (the AXI-Stream port structs) are not recorded.
template <typename T>
void record(ChannelRecord&, const T&) {}

template <int W>
void record(ChannelRecord& channel, const ap_uint<W>& beat) {
    const int limbs = (W + 63) / 64;
    for (int limb = 0; limb < limbs; limb++) {
        const int hi = limb * 64 + 63 < W - 1 ? limb * 64 + 63 : W - 1;
        channel.beats.push_back(beat.range(hi, limb * 64).to_uint64());
    }
}

}  // namespace bnn_csim

namespace hls {

// As in Vitis, stream<T, DEPTH> is a stream<T> (kernels take stream<T>&) whose depth is a
// synthesis hint; C-sim FIFOs are unbounded and record their peak instead.
template <typename T, int DEPTH = 0>
class stream : public stream<T, 0> {
  public:
    stream() = default;
    explicit stream(const char* name) : stream<T, 0>(name) {}
};

template <typename T>
class stream<T, 0> {
  public:
    stream() : stream("unnamed") {}
    explicit stream(const char* name)
        : name_(name),
          record_(&bnn_csim::registry().channels[name_]),
          traced_(bnn_csim::registry().tracing && bnn_csim::registry().traced.count(name_)) {
        std::vector<std::vector<T> >& spares = bnn_csim::spare_storage<T>();
        if (!spares.empty()) {
            data_.swap(spares.back());
            spares.pop_back();
        }
    }
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;
    virtual ~stream() {
        if (!empty()) {
            bnn_csim::registry().errors.push_back("stream '" + name_ + "' still holds " +
                                                  std::to_string(size()) + " beats");
        }
        data_.clear();
        bnn_csim::spare_storage<T>().push_back(std::move(data_));
    }

    bool empty() const { return head_ == data_.size(); }
    bool full() const { return false; }  // C-sim is sequential: a FIFO never fills
    size_t size() const { return data_.size() - head_; }

    void write(const T& value) {
        data_.push_back(value);
        if (static_cast<long>(size()) > record_->peak) record_->peak = static_cast<long>(size());
        if (traced_) bnn_csim::record(*record_, value);
    }
    void operator<<(const T& value) { write(value); }

    T read() {
        if (empty()) {
            throw bnn_csim::StreamError("read from empty stream '" + name_ +
                                        "' (a deadlock in hardware)");
        }
        T value = data_[head_++];
        if (empty()) {  // drained: reuse the storage from the start
            data_.clear();
            head_ = 0;
        }
        return value;
    }
    void read(T& value) { value = read(); }
    void operator>>(T& value) { value = read(); }

  private:
    std::string name_;
    bnn_csim::ChannelRecord* record_;
    bool traced_;
    // A vector and a read index rather than a deque: sequential C-sim writes a whole tensor
    // before reading it, and a deque of wide beats allocates a block every beat or so.
    std::vector<T> data_;
    size_t head_ = 0;
};

}  // namespace hls

#endif
