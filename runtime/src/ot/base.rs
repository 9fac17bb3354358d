//! Chou–Orlandi "simplest" base OT over the Ristretto group (semi-honest).
//!
//! Sender: `A = a·G`. Receiver, choice `c`: `B = b·G + c·A`. Keys: sender
//! `k₀ = H(i, A, B, a·B)`, `k₁ = H(i, A, B, a·(B − A))`; receiver `k_c = H(i, A, B, b·A)`.
//!
//! Cost: the sender computes `a·(B − A)` as `a·B − a·A` with `a·A` once, so one variable-base
//! multiplication per OT; the receiver multiplies by A through a table built once for A (as
//! for G), and sends its points in groups of [`POINTS_PER_FLUSH`], deriving a group's keys
//! while the sender works on that group.
//!
//! Side channels and memory: the receiver adds `c·A` by a constant-time conditional select
//! (`subtle`), not a branch on its choice bit; the scalars a, b, the shared points and the
//! returned keys are wiped when dropped ([`Zeroizing`]).

use super::{OtError, chan};
use crate::block::Block;
use crate::channel::Channel;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroizing;

/// Receiver points sent per flush: the sender starts on a group while the next is computed.
pub const POINTS_PER_FLUSH: usize = 16;

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
    let a_big_a = Zeroizing::new(*a * big_a);
    let mut out = Zeroizing::new(Vec::with_capacity(n));
    for i in 0..n {
        let (b_c, b) = recv_point(ch, i)?;
        let a_b = Zeroizing::new(*a * b);
        let k0 = key(i, &a_c, &b_c, &a_b);
        let k1 = key(i, &a_c, &b_c, &Zeroizing::new(*a_b - *a_big_a));
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
    // A group's points go out before its keys (which need no peer) are derived, so the
    // sender works on that group meanwhile; the table for A is built after the first group.
    let mut table_a: Option<RistrettoBasepointTable> = None;
    let mut out = Vec::with_capacity(choices.len());
    let mut b_group = Zeroizing::new(Vec::with_capacity(POINTS_PER_FLUSH));
    let mut b_c_group = Vec::with_capacity(POINTS_PER_FLUSH);
    for (g, group) in choices.chunks(POINTS_PER_FLUSH).enumerate() {
        b_group.clear();
        b_c_group.clear();
        for &c in group {
            let b = Zeroizing::new(Scalar::random(rng));
            let b_c = Zeroizing::new(receiver_point(&b, c, &big_a)).compress();
            ch.send(b_c.as_bytes()).map_err(&e)?;
            b_group.push(*b);
            b_c_group.push(b_c);
        }
        ch.flush().map_err(&e)?;
        let table = table_a.get_or_insert_with(|| RistrettoBasepointTable::create(&big_a));
        for (j, (b, b_c)) in b_group.iter().zip(&b_c_group).enumerate() {
            let i = g * POINTS_PER_FLUSH + j;
            out.push(key(i, &a_c, b_c, &Zeroizing::new(b * &*table)));
        }
    }
    Ok(Zeroizing::new(out))
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

    /// The shortcuts (sender: `a·B − a·A` for `a·(B − A)`; receiver: `b·A` through a table
    /// for A) give the keys of the protocol's formulas, recomputed here from the same seeded
    /// draws with plain multiplications: peers of either version agree.
    #[test]
    fn keys_equal_the_formulas_computed_directly() {
        use crate::channel::MemChannel;
        let (mut s_ch, mut r_ch) = MemChannel::pair(std::time::Duration::from_secs(20));
        let choices: Vec<bool> = (0..40).map(|i| i % 3 == 1).collect();
        let c2 = choices.clone();
        let t = std::thread::spawn(move || {
            receive(&mut r_ch, &c2, &mut ChaCha12Rng::seed_from_u64(11)).expect("receive")
        });
        let pairs = send(
            &mut s_ch,
            choices.len(),
            &mut ChaCha12Rng::seed_from_u64(10),
        )
        .expect("send");
        let got = t.join().expect("receiver thread");
        // The same draws as the two parties made, in the same order.
        let a = Scalar::random(&mut ChaCha12Rng::seed_from_u64(10));
        let big_a = &a * RISTRETTO_BASEPOINT_TABLE;
        let a_c = big_a.compress();
        let mut r_rng = ChaCha12Rng::seed_from_u64(11);
        for (i, &c) in choices.iter().enumerate() {
            let b = Scalar::random(&mut r_rng);
            let big_b =
                &b * RISTRETTO_BASEPOINT_TABLE + if c { big_a } else { RistrettoPoint::identity() };
            let b_c = big_b.compress();
            let k0 = key(i, &a_c, &b_c, &(a * big_b));
            let k1 = key(i, &a_c, &b_c, &(a * (big_b - big_a)));
            assert_eq!(pairs[i], (k0, k1), "sender's keys of OT {i}");
            assert_eq!(
                got[i],
                key(i, &a_c, &b_c, &(b * big_a)),
                "receiver's key of OT {i}"
            );
            assert_eq!(got[i], if c { k1 } else { k0 });
        }
    }
}
