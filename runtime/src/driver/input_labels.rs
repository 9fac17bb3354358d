//! The garbler's input labels, derived on both sides instead of sent.
//!
//! Right after the handshake the evaluator draws a fresh 16-byte seed from its CSPRNG and
//! sends it (the seed message: its length as a `u32`, little-endian, then the seed). Both
//! sides expand it with AES-128 in counter mode ([`Prg`], the seed as key) into one public
//! pad `P` per garbler input bit of the batch: instance `k`'s wire `j` (of `g` garbler input
//! bits) gets the block at counter `k·g + j`. The garbler sets that wire's zero-label to
//! `W⁰ = P ⊕ b·Δ` for its bit `b`, so the label of `b` is `W^b = P`: the evaluator holds it
//! already, and no label crosses the link (16 bytes per garbler input bit saved).
//!
//! Why the evaluator learns nothing new (semi-honest): in the standard simulation the
//! evaluator's view of a garbler input wire is one active label, uniform and independent of
//! `b` and Δ; here it is `P`, a function of the evaluator's own seed only — independent of
//! `b`, of Δ and of every other random choice of the garbler — so the simulator draws the
//! seed, takes the pads as active labels and simulates the tables as before. The permute bit
//! `lsb(W⁰) = lsb(P) ⊕ b` stays hidden: the evaluator sees `lsb(P)` only, and the other
//! label `P ⊕ Δ` needs Δ. The pads are distinct (AES under one key on distinct counters), so
//! no two wires share an active label. The seed's author only matters against a malicious
//! party: a garbler choosing it could not gain anything in the semi-honest model either,
//! but the evaluator drawing it keeps the garbler from biasing the pads, and the evaluator
//! gains nothing by knowing them (they are its active labels anyway). Both schemes take the
//! input zero-labels from the driver as they are, so half-gates and three-halves get the
//! same treatment (the proofs of both only need uniform active input labels independent
//! of Δ).

use super::DriverError;
use super::error::chan;
use crate::block::{Block, Delta};
use crate::channel::Channel;
use crate::prg::Prg;
use rand::CryptoRng;

/// Bytes of the evaluator's input-label seed.
pub const INPUT_SEED_BYTES: usize = 16;
/// Bytes of the seed message: the seed's length (`u32`, little-endian) and the seed.
pub const INPUT_SEED_MESSAGE_BYTES: usize = 4 + INPUT_SEED_BYTES;

/// The public pads of the garbler's input wires, instance after instance (AES-CTR keyed by
/// the evaluator's seed: instance `k`, wire `j` of `g` is the block at counter `k·g + j`).
pub struct InputPads {
    prg: Prg,
}

impl InputPads {
    /// The pads of a run whose evaluator drew `seed`.
    pub fn new(seed: Block) -> InputPads {
        InputPads {
            prg: Prg::new(seed),
        }
    }

    /// Fills `out` with the next instance's pads (one per garbler input bit).
    pub fn next_instance(&mut self, out: &mut [Block]) {
        self.prg.fill_blocks(out);
    }
}

/// The zero-label of a garbler input wire with pad `pad` carrying `bit`: `pad ⊕ bit·Δ`,
/// so that the label of `bit` is the pad itself.
#[inline]
pub fn garbler_zero_label(pad: Block, bit: bool, delta: &Delta) -> Block {
    pad ^ (Block::mask(bit) & delta.block())
}

/// The evaluator's side: draws the seed from `rng`, sends the seed message and flushes.
pub(super) fn send_seed<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    rng: &mut R,
) -> Result<Block, DriverError> {
    let seed = Block::random(rng);
    let mut msg = [0u8; INPUT_SEED_MESSAGE_BYTES];
    msg[..4].copy_from_slice(&(INPUT_SEED_BYTES as u32).to_le_bytes());
    msg[4..].copy_from_slice(&seed.to_bytes());
    let e = chan("setup (sending the input-label seed)");
    ch.send(&msg).map_err(&e)?;
    ch.flush().map_err(&e)?;
    Ok(seed)
}

/// The garbler's side: receives the seed message; a length other than 16 is an error.
pub(super) fn recv_seed<C: Channel + ?Sized>(ch: &mut C) -> Result<Block, DriverError> {
    let e = chan("setup (receiving the input-label seed)");
    let mut len = [0u8; 4];
    ch.recv_exact(&mut len).map_err(&e)?;
    let len = u32::from_le_bytes(len);
    if len as usize != INPUT_SEED_BYTES {
        return Err(DriverError::InputSeedLength { got: len });
    }
    let mut seed = [0u8; INPUT_SEED_BYTES];
    ch.recv_exact(&mut seed).map_err(&e)?;
    Ok(Block::from_bytes(seed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::MemChannel;
    use rand::SeedableRng;
    use std::time::Duration;

    #[test]
    fn pads_are_aes_ctr_under_the_seed_in_instance_major_order() {
        // Cross-check against the `aes` crate, block by block at counters k·g + j.
        use aes::Aes128Enc;
        use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
        let seed =
            Block::from_bytes(*b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f");
        let cipher = Aes128Enc::new(&Array::from(seed.to_bytes()));
        let aes = |ctr: u128| {
            let mut b = Array::from(ctr.to_le_bytes());
            cipher.encrypt_block(&mut b);
            Block::from_bytes(b.into())
        };
        let mut pads = InputPads::new(seed);
        let g = 5;
        for k in 0..3u128 {
            let mut got = vec![Block::ZERO; g];
            pads.next_instance(&mut got);
            let want: Vec<Block> = (0..g as u128).map(|j| aes(k * g as u128 + j)).collect();
            assert_eq!(got, want, "instance {k}");
        }
    }

    #[test]
    fn the_seed_message_round_trips_and_a_wrong_length_is_refused() {
        let (mut a, mut b) = MemChannel::pair(Duration::from_secs(5));
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(7);
        let sent = send_seed(&mut a, &mut rng).expect("send");
        assert_eq!(recv_seed(&mut b).expect("receive"), sent);
        // A 17-byte seed announced: refused before reading it.
        a.send(&17u32.to_le_bytes()).expect("send");
        a.send(&[0u8; 17]).expect("send");
        a.flush().expect("flush");
        let err = recv_seed(&mut b).expect_err("wrong length");
        assert!(
            matches!(err, DriverError::InputSeedLength { got: 17 }),
            "{err}"
        );
        assert!(err.to_string().contains("17 bytes"), "{err}");
    }
}
