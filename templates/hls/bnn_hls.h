// The bnn-hls kernel library: every stage of a dataflow plan as a templated HLS function.
#ifndef BNN_HLS_H
#define BNN_HLS_H

#include "bnn_mvu.h"
#include "bnn_pointwise.h"
#include "bnn_streams.h"
#include "bnn_window.h"

#endif
