"""Verilog backend: tiles rendered from templates/rtl, composed into a streaming top level."""
