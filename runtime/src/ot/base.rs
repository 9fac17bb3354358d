//! Chou–Orlandi "simplest" base OT over the Ristretto group (semi-honest).
//!
//! Sender: `A = a·G`. Receiver, choice `c`: `B = b·G + c·A`. Keys: sender
//! `k₀ = H(i, A, B, a·B)`, `k₁ = H(i, A, B, a·(B − A))`; receiver `k_c = H(i, A, B, b·A)`.
//!
//! Side channels and memory: the receiver adds `c·A` by a constant-time conditional select
//! (`subtle`), not a branch on its choice bit; the scalars a, b, the shared points and the
//! returned keys are wiped when dropped ([`Zeroizing`]).

use super::{OtError, chan};
use crate::block::Block;
use crate::channel::Channel;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroizing;

fn key(
    i: usize,
    a: &CompressedRistretto,
    b: &CompressedRistretto,
    shared: &RistrettoPoint,
) -> Block {
    let mut h = Sha256::new();
    h.update(b"gcc-nn base OT v1");
    h.update((i as u64).to_le_bytes());
    h.update(a.as_bytes());
    h.update(b.as_bytes());
    h.update(Zeroizing::new(shared.compress().to_bytes()).as_slice());
    let d = Zeroizing::new(<[u8; 32]>::from(h.finalize()));
    let mut out = Zeroizing::new([0u8; 16]);
    out.copy_from_slice(&d[..16]);
    Block::from_bytes(*out)
}

fn recv_point<C: Channel + ?Sized>(
    ch: &mut C,
    index: usize,
) -> Result<(CompressedRistretto, RistrettoPoint), OtError> {
    let mut bytes = [0u8; 32];
    ch.recv_exact(&mut bytes)
        .map_err(chan("base OT (receiving a curve point)"))?;
    let c = CompressedRistretto(bytes);
    let p = c.decompress().ok_or(OtError::InvalidPoint { index })?;
    Ok((c, p))
}

/// Runs `n` base OTs as the sender; returns the key pairs `(k₀, k₁)` (wiped on drop).
pub fn send<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    n: usize,
    rng: &mut R,
) -> Result<Zeroizing<Vec<(Block, Block)>>, OtError> {
    let a = Zeroizing::new(Scalar::random(rng));
    let big_a = &*a * RISTRETTO_BASEPOINT_TABLE;
    let a_c = big_a.compress();
    let e = chan("base OT (sending the sender's point)");
    ch.send(a_c.as_bytes()).map_err(&e)?;
    ch.flush().map_err(&e)?;
    let mut out = Zeroizing::new(Vec::with_capacity(n));
    for i in 0..n {
        let (b_c, b) = recv_point(ch, i)?;
        let k0 = key(i, &a_c, &b_c, &Zeroizing::new(*a * b));
        let k1 = key(i, &a_c, &b_c, &Zeroizing::new(*a * (b - big_a)));
        out.push((k0, k1));
    }
    Ok(out)
}

/// `b·G + c·A`, adding A or the identity by a constant-time select on the choice bit.
fn receiver_point(b: &Scalar, c: bool, big_a: &RistrettoPoint) -> RistrettoPoint {
    let identity = RistrettoPoint::identity();
    let added = RistrettoPoint::conditional_select(&identity, big_a, Choice::from(u8::from(c)));
    b * RISTRETTO_BASEPOINT_TABLE + added
}

/// Runs base OTs as the receiver with the given choices; returns `k_{c_i}` for each
/// (wiped on drop).
pub fn receive<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    choices: &[bool],
    rng: &mut R,
) -> Result<Zeroizing<Vec<Block>>, OtError> {
    let (a_c, big_a) = recv_point(ch, 0)?;
    let e = chan("base OT (sending the receiver's points)");
    let mut out = Zeroizing::new(Vec::with_capacity(choices.len()));
    for (i, &c) in choices.iter().enumerate() {
        let b = Zeroizing::new(Scalar::random(rng));
        let big_b = Zeroizing::new(receiver_point(&b, c, &big_a));
        let b_c = big_b.compress();
        ch.send(b_c.as_bytes()).map_err(&e)?;
        out.push(key(i, &a_c, &b_c, &Zeroizing::new(*b * big_a)));
    }
    ch.flush().map_err(&e)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha12Rng;

    #[test]
    fn receiver_point_adds_the_senders_point_exactly_for_choice_one() {
        let mut rng = ChaCha12Rng::seed_from_u64(4);
        let big_a = &Scalar::random(&mut rng) * RISTRETTO_BASEPOINT_TABLE;
        let b = Scalar::random(&mut rng);
        let plain = &b * RISTRETTO_BASEPOINT_TABLE;
        assert_eq!(receiver_point(&b, false, &big_a), plain);
        assert_eq!(receiver_point(&b, true, &big_a), plain + big_a);
        assert_ne!(receiver_point(&b, true, &big_a), plain);
    }
}
