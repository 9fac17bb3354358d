// ReLU in the activation format: max(x, 0).
const FA = 12;
type Act = fixed<16, FA>;

input garbler x: Act;
output y: Act = max(x, 0);
