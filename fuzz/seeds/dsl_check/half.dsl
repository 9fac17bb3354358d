input garbler x: fixed<16, 12>;
output y: fixed<16, 12> = x * 0.5;
