//! What the cloud holds after a bridge run: `Enc(f(x_i))`, one per input or packed.

use crate::error::{BridgeError, he};
use num_bigint::BigInt;
use paillier::{Ciphertext, SecretKey, SlotLayout};

/// What the cloud holds after a run.
#[derive(Debug, Clone)]
pub enum CloudOutput {
    /// `Enc(f(x_i))`, one per input.
    Unpacked(Vec<Ciphertext>),
    /// `Enc(Σ_s f(x_s)·2^(s·w))` per group of `layout.slots()` inputs (signed slots).
    Packed {
        /// The output slot layout.
        layout: SlotLayout,
        /// Number of activations.
        batch: usize,
        /// Packed ciphertexts, in order.
        cts: Vec<Ciphertext>,
    },
}

impl CloudOutput {
    /// Decrypt every activation (the user's view of the result; for tests and demos).
    pub fn decrypt(&self, sk: &SecretKey) -> Result<Vec<i128>, BridgeError> {
        let to_i128 = |v: &BigInt| -> Result<i128, BridgeError> {
            i128::try_from(v).map_err(|_| BridgeError::Protocol {
                phase: "output decryption",
                what: "activation does not fit 128 bits".into(),
            })
        };
        match self {
            CloudOutput::Unpacked(cts) => cts
                .iter()
                .map(|c| to_i128(&sk.decrypt_signed(c).map_err(he("output decryption"))?))
                .collect(),
            CloudOutput::Packed { layout, batch, cts } => {
                let mut out = Vec::with_capacity(*batch);
                for (g, c) in cts.iter().enumerate() {
                    let count = (*batch - g * layout.slots()).min(layout.slots());
                    let packed = sk.decrypt_signed(c).map_err(he("output decryption"))?;
                    for v in layout
                        .unpack_signed(&packed, count)
                        .map_err(he("output unpacking"))?
                    {
                        out.push(to_i128(&v)?);
                    }
                }
                Ok(out)
            }
        }
    }
}
