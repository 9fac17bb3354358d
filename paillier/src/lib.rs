//! Paillier encryption for gcc-nn.
