"""The strict front end finds what it is there for: an error Verilator's lint would not stop."""

from bnn_hls.tools.slang import slang_errors


def test_slang_reports_errors_and_accepts_clean_code(tmp_path):
    good = tmp_path / "good.sv"
    good.write_text("module good (input logic a, output logic b);\n  assign b = !a;\nendmodule\n")
    bad = tmp_path / "bad.sv"
    bad.write_text("module bad (input logic a, output logic b);\n"
                   "  assign b = a & d;\nendmodule\n")  # an undeclared identifier
    assert slang_errors([good], "good") == []
    errors = slang_errors([bad], "bad")
    assert len(errors) == 1 and "undeclared identifier 'd'" in errors[0], errors
