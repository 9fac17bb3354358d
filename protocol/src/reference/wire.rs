//! What both runners of the reference protocol ([`super::cloud`], [`super::user`]) do alike:
//! send a message as its run of ciphertexts, receive one of a known kind and size, and draw
//! the `r^N` values their steps consume (off-line work, in parallel).

use super::core::{Kind, Message};
use crate::error::ProtocolError;
use crate::wire::{recv_ciphertexts, send_ciphertexts};
use paillier::{Ciphertext, PublicKey, Randomness, RandomnessPool, SecretKey};
use runtime::channel::Channel;

/// Sends `msg` as its run of ciphertexts under `pk` and flushes.
pub(crate) fn send<C: Channel + ?Sized, M: Message>(
    ch: &mut C,
    pk: &PublicKey,
    msg: &M,
) -> Result<(), ProtocolError> {
    send_ciphertexts(ch, pk, msg.ciphertexts(), msg.kind().phase())
}

/// Receives the `count` ciphertexts of a message of kind `kind` under `pk`.
pub(crate) fn recv<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    kind: Kind,
    count: usize,
) -> Result<Vec<Ciphertext>, ProtocolError> {
    recv_ciphertexts(ch, pk, count, kind.phase())
}

/// Who draws the `r^N` values: the cloud from the public key, the key holder through the
/// CRT (faster).
#[derive(Clone, Copy)]
pub(crate) enum Drawer<'a> {
    /// Anyone with the public key.
    Public(&'a PublicKey),
    /// The key holder.
    KeyHolder(&'a SecretKey),
}

impl Drawer<'_> {
    /// Fills `pool` with `count` fresh values.
    pub(crate) fn fill(self, pool: &mut RandomnessPool, count: usize) {
        match self {
            Drawer::Public(pk) => pool.fill(pk, count),
            Drawer::KeyHolder(sk) => pool.fill_crt(sk, count),
        }
    }

    /// `count` fresh values.
    pub(crate) fn draw(self, count: usize) -> Vec<Randomness> {
        let mut pool = RandomnessPool::new();
        self.fill(&mut pool, count);
        (0..count).filter_map(|_| pool.take()).collect()
    }
}
