// C-simulation stand-in for Vitis HLS's ap_axi_sdata.h, which the open-source ap_types lack:
// the AXI4-Stream side-channel struct with the member names the real one has. Under Vitis the
// tool's header is found first on the include path.
#ifndef BNN_CSIM_AP_AXI_SDATA_H
#define BNN_CSIM_AP_AXI_SDATA_H

#include <ap_int.h>

namespace hls {

template <typename T, int WUser, int WId, int WDest>
struct axis {
    static_assert(WUser == 0 && WId == 0 && WDest == 0, "only TDATA/TKEEP/TSTRB/TLAST");
    T data;
    ap_uint<(T::width + 7) / 8> keep;
    ap_uint<(T::width + 7) / 8> strb;
    ap_uint<1> last;
};

}  // namespace hls

#endif
