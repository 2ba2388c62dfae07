"""The backend-neutral hardware plan: every number a backend needs, computed once.

``build_plan(graph, folding, backend)`` turns an integer IR graph into a
:class:`~bnn_hls.hw.plan.DataflowPlan`: stages (window generators, matrix-vector units,
affines, pools, adders, forks, re-laning) with their stream layouts, datapath widths,
constants, folded weights and expected cycles, the channels between them with their FIFO
depths, and the probes that localise a mismatch. A backend only renders and runs it.
"""
