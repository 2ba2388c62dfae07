// Smallest design that proves the Verilator + cocotb toolchain: a saturating counter.
module smoke_counter #(parameter int WIDTH = 4) (
    input  logic             clk,
    input  logic             rst,
    input  logic             en,
    output logic [WIDTH-1:0] count
);
  always_ff @(posedge clk) begin
    if (rst) count <= '0;
    else if (en && count != {WIDTH{1'b1}}) count <= count + 1'b1;
  end
endmodule
