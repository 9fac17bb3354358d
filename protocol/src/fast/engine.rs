//! The two cross products of a layer behind one interface: packed Paillier (docs/protocol.md §3,
//! [`super::cross`]) or ring-LWE in Cheetah's coefficient encoding (docs/protocol.md §4, the
//! `gcc-nn-rlwe` crate). Everything else of the fast protocol is the same for both: the
//! owner's Paillier upload, the Paillier re-sharing once per (user, model), the shares in
//! `Z_(2^k)`, the garbled activations and the output circuits. [`super::party`]'s per-layer
//! loop calls the steps of one [`Cross`] whatever the engine.
//!
//! Per image ([`Cross::exchange`], right after the image header, which carries the engine so
//! that both sides agree or the cloud refuses):
//! - Paillier: each party publishes its randomness base `h_K` ([`super::fresh`]);
//! - RLWE: each party draws a fresh RLWE key pair for this image and publishes its public key
//!   (the multiplier needs the key holder's public key for the fresh encryption of zero that
//!   re-randomises every returned product; flooding and modulus switching as the crate does:
//!   function privacy toward the key holder).
//!
//! Then per layer, for the key holder's own shares `x` and the multiplier's matrix `E`, the
//! same three steps and data orders in both engines (`x[j][patch]`, `E[i][j]`, shares
//! `[i][patch]`): [`Cross::encrypt`] (key holder), [`Cross::multiply`] (multiplier, keeps
//! `+ρ`), [`Cross::decrypt`] (key holder, keeps `−v`), so that `ρ − v = −E·x (mod 2^k)`.

use super::cross;
use super::fresh::{FreshZeros, recv_base, send_base};
use super::ring::Ring;
use super::wire::{protocol, recv_bytes, send_bytes};
use crate::error::{BridgeError, chan, he, rl};
use paillier::{BigUint, Ciphertext, PublicKey, SecretKey, SlotLayout};
use rand::CryptoRng;
use rayon::prelude::*;
use runtime::channel::Channel;

/// How the linear layers' cross products are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CrossEngine {
    /// Packed Paillier with the matrix as exponent (docs/protocol.md §3).
    #[default]
    Paillier,
    /// Ring-LWE plaintext-ciphertext products in the coefficient encoding (docs/protocol.md §4).
    Rlwe,
}

impl CrossEngine {
    /// Every engine, default first.
    pub const ALL: [CrossEngine; 2] = [CrossEngine::Paillier, CrossEngine::Rlwe];

    /// The word the image header carries.
    pub fn code(self) -> u64 {
        match self {
            CrossEngine::Paillier => 1,
            CrossEngine::Rlwe => 2,
        }
    }

    /// From the image header's word.
    pub fn from_code(code: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    /// Name on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            CrossEngine::Paillier => "paillier",
            CrossEngine::Rlwe => "rlwe",
        }
    }
}

impl std::fmt::Display for CrossEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CrossEngine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown linear-layer engine `{s}` (paillier or rlwe)"))
    }
}

/// The cloud's check of the engine word of the user's image header.
pub(crate) fn check_engine_word(ours: CrossEngine, word: u64) -> Result<(), BridgeError> {
    if word == ours.code() {
        return Ok(());
    }
    let theirs = CrossEngine::from_code(word).map_or_else(
        || format!("unknown engine code {word}"),
        |e| e.name().into(),
    );
    Err(protocol(
        "image header",
        format!(
            "linear-layer engine: the user runs {theirs}, this cloud runs {ours} (both sides must choose the same)"
        ),
    ))
}

/// Which party this is (the user speaks first in the key exchange).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// Key holder of cross product 1, multiplier of cross product 2.
    User,
    /// Key holder of cross product 2, multiplier of cross product 1.
    Cloud,
}

/// Most bytes of a serialized RLWE public key (the seed and `p0` at 175 bits per coefficient
/// are ≈ 179 KB).
const MAX_RLWE_KEY_BYTES: usize = 1 << 18;

enum Keys {
    Paillier {
        /// Fresh zeros under this party's own key (its inputs).
        own: FreshZeros,
        /// Fresh zeros toward the peer (the products returned to it).
        peer: FreshZeros,
    },
    Rlwe {
        /// This image's RLWE secret key.
        sk: rlwe::SecretKey,
        /// The peer's RLWE public key for this image.
        peer: rlwe::PublicKey,
    },
}

/// One party's per-image key material and the three steps of its cross products.
pub(crate) struct Cross<'a> {
    side: Side,
    ring: Ring,
    own_sk: &'a SecretKey,
    peer_pk: &'a PublicKey,
    keys: Keys,
}

/// How one layer's products are cut (both parties derive the same from public sizes).
pub(crate) struct Plan {
    n: usize,
    m: usize,
    patches: usize,
    layout: PlanLayout,
}

enum PlanLayout {
    Paillier(SlotLayout),
    Rlwe(rlwe::Layout),
}

impl Plan {
    /// Paillier blocks of patches (1 for RLWE, whose counts come from its layout).
    fn blocks(&self, layout: &SlotLayout) -> usize {
        self.patches.div_ceil(layout.slots())
    }
}

/// A key holder's encrypted shares (the first message of a cross product).
pub(crate) enum Inputs {
    Paillier(Vec<Ciphertext>),
    Rlwe(Vec<rlwe::InputCiphertext>),
}

/// The multiplier's masked products (the second message).
pub(crate) enum Products {
    Paillier(Vec<Ciphertext>),
    Rlwe(Vec<rlwe::OutputCiphertext>),
}

impl Inputs {
    /// Number of ciphertexts.
    pub(crate) fn len(&self) -> usize {
        match self {
            Inputs::Paillier(c) => c.len(),
            Inputs::Rlwe(c) => c.len(),
        }
    }
}

#[derive(Clone, Copy)]
enum Step {
    Encrypt,
    Inputs,
    Products,
    Results,
    Decrypt,
}

/// Sends serialized ciphertexts back to back and flushes.
fn send_all<C: Channel + ?Sized>(
    ch: &mut C,
    parts: Vec<Vec<u8>>,
    phase: &'static str,
) -> Result<(), BridgeError> {
    for p in &parts {
        ch.send(p).map_err(chan(phase))?;
    }
    ch.flush().map_err(chan(phase))
}

impl<'a> Cross<'a> {
    /// The per-image key exchange right after the image header: the user sends its public
    /// material first, then reads the cloud's; `uses` bounds the Paillier fresh zeros.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn exchange<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
        ch: &mut C,
        engine: CrossEngine,
        side: Side,
        ring: Ring,
        own_sk: &'a SecretKey,
        peer_pk: &'a PublicKey,
        uses: usize,
        rng: &mut R,
    ) -> Result<Self, BridgeError> {
        let own_pk = own_sk.public_key();
        let keys = match (engine, side) {
            (CrossEngine::Paillier, Side::User) => {
                let own = FreshZeros::short_exponent_for(own_pk, uses, rng);
                send_base(ch, &own, "user randomness base")?;
                let base = recv_base(ch, peer_pk, "cloud randomness base")?;
                let peer = FreshZeros::toward_holder(peer_pk, &base, uses, rng);
                Keys::Paillier { own, peer }
            }
            (CrossEngine::Paillier, Side::Cloud) => {
                let base = recv_base(ch, peer_pk, "user randomness base")?;
                let own = FreshZeros::short_exponent_for(own_pk, uses, rng);
                send_base(ch, &own, "cloud randomness base")?;
                let peer = FreshZeros::toward_holder(peer_pk, &base, uses, rng);
                Keys::Paillier { own, peer }
            }
            (CrossEngine::Rlwe, _) => {
                let sk = rlwe::SecretKey::generate(rng);
                let mine = sk.public_key(rng).to_bytes();
                let (send_phase, recv_phase) = match side {
                    Side::User => ("user RLWE public key", "cloud RLWE public key"),
                    Side::Cloud => ("cloud RLWE public key", "user RLWE public key"),
                };
                let theirs = if side == Side::User {
                    send_bytes(ch, &mine, send_phase)?;
                    recv_bytes(ch, MAX_RLWE_KEY_BYTES, recv_phase)?
                } else {
                    let theirs = recv_bytes(ch, MAX_RLWE_KEY_BYTES, recv_phase)?;
                    send_bytes(ch, &mine, send_phase)?;
                    theirs
                };
                let peer = rlwe::PublicKey::from_bytes(&theirs).map_err(rl(recv_phase))?;
                Keys::Rlwe { sk, peer }
            }
        };
        Ok(Self {
            side,
            ring,
            own_sk,
            peer_pk,
            keys,
        })
    }

    /// The message and error phase of `step` of the cross product under this party's own
    /// key (`own`) or the peer's: cross product 1 is under the user's key.
    fn phase(&self, own: bool, step: Step) -> &'static str {
        let one = (self.side == Side::User) == own;
        match (step, one) {
            (Step::Encrypt, true) => "cross 1 encrypt",
            (Step::Encrypt, false) => "cross 2 encrypt",
            (Step::Inputs, true) => "cross 1 inputs",
            (Step::Inputs, false) => "cross 2 inputs",
            (Step::Products, true) => "cross 1 products",
            (Step::Products, false) => "cross 2 products",
            (Step::Results, true) => "cross 1 results",
            (Step::Results, false) => "cross 2 results",
            (Step::Decrypt, true) => "cross 1 decrypt",
            (Step::Decrypt, false) => "cross 2 decrypt",
        }
    }

    /// The cut of layer `li` (`n` inputs, `m` outputs) over `patches` patches.
    pub(crate) fn plan(
        &self,
        li: usize,
        n: usize,
        m: usize,
        patches: usize,
    ) -> Result<Plan, BridgeError> {
        let layout = match self.keys {
            Keys::Paillier { .. } => PlanLayout::Paillier(super::party::layer_layout(
                &self.ring,
                li,
                n,
                self.own_sk.public_key(),
                self.peer_pk,
            )?),
            Keys::Rlwe { .. } => PlanLayout::Rlwe(
                rlwe::Layout::choose(n, m, patches, self.ring.k).map_err(rl("cross layout"))?,
            ),
        };
        Ok(Plan {
            n,
            m,
            patches,
            layout,
        })
    }

    /// Step 1 (key holder): this party's shares `x[j][patch]` under its own key.
    pub(crate) fn encrypt<R: CryptoRng + ?Sized>(
        &self,
        plan: &Plan,
        x: &[u64],
        rng: &mut R,
    ) -> Result<Inputs, BridgeError> {
        let phase = self.phase(true, Step::Encrypt);
        match (&self.keys, &plan.layout) {
            (Keys::Paillier { own, .. }, PlanLayout::Paillier(l)) => Ok(Inputs::Paillier(
                cross::encrypt_packed(own, l, x, plan.n, plan.patches, rng).map_err(he(phase))?,
            )),
            (Keys::Rlwe { sk, .. }, PlanLayout::Rlwe(l)) => Ok(Inputs::Rlwe(
                rlwe::encrypt_inputs(sk, l, x, rng).map_err(rl(phase))?,
            )),
            _ => Err(mixed(phase)),
        }
    }

    /// Sends this party's encrypted shares.
    pub(crate) fn send_inputs<C: Channel + ?Sized>(
        &self,
        ch: &mut C,
        plan: &Plan,
        inputs: &Inputs,
    ) -> Result<(), BridgeError> {
        let phase = self.phase(true, Step::Inputs);
        match (inputs, &plan.layout) {
            (Inputs::Paillier(cts), PlanLayout::Paillier(_)) => {
                super::wire::send_cts(ch, self.own_sk.public_key(), cts, phase)
            }
            (Inputs::Rlwe(cts), PlanLayout::Rlwe(l)) => {
                send_all(ch, cts.par_iter().map(|c| c.to_bytes(l)).collect(), phase)
            }
            _ => Err(mixed(phase)),
        }
    }

    /// Receives the peer's encrypted shares (exactly the plan's count and sizes).
    pub(crate) fn recv_inputs<C: Channel + ?Sized>(
        &self,
        ch: &mut C,
        plan: &Plan,
    ) -> Result<Inputs, BridgeError> {
        let phase = self.phase(false, Step::Inputs);
        match &plan.layout {
            PlanLayout::Paillier(l) => Ok(Inputs::Paillier(super::wire::recv_cts(
                ch,
                self.peer_pk,
                plan.n * plan.blocks(l),
                phase,
            )?)),
            PlanLayout::Rlwe(l) => {
                let size = l.input_bytes();
                let mut buf = vec![0u8; size * l.input_count()];
                ch.recv_exact(&mut buf).map_err(chan(phase))?;
                let cts = buf
                    .par_chunks(size)
                    .map(|b| rlwe::InputCiphertext::from_bytes(b, l))
                    .collect::<Result<_, _>>()
                    .map_err(rl(phase))?;
                Ok(Inputs::Rlwe(cts))
            }
        }
    }

    /// Step 2 (multiplier): `E·x` masked under the peer's key, and this party's share `+ρ`
    /// (`[i][patch]`); `exps` is `E[i][j]` (shares mod 2^k).
    pub(crate) fn multiply<R: CryptoRng + ?Sized>(
        &self,
        plan: &Plan,
        inputs: &Inputs,
        exps: &[u64],
        rng: &mut R,
    ) -> Result<(Products, Vec<u64>), BridgeError> {
        let phase = self.phase(false, Step::Products);
        match (&self.keys, &plan.layout, inputs) {
            (Keys::Paillier { peer, .. }, PlanLayout::Paillier(l), Inputs::Paillier(cts)) => {
                let (p, rho) = cross::masked_products(
                    self.peer_pk,
                    peer,
                    l,
                    &self.ring,
                    cts,
                    exps,
                    (plan.n, plan.m),
                    plan.patches,
                    rng,
                )
                .map_err(he(phase))?;
                Ok((Products::Paillier(p), rho))
            }
            (Keys::Rlwe { peer, .. }, PlanLayout::Rlwe(l), Inputs::Rlwe(cts)) => {
                let (p, rho) = rlwe::masked_products(peer, l, cts, exps, rng).map_err(rl(phase))?;
                Ok((Products::Rlwe(p), rho))
            }
            _ => Err(mixed(phase)),
        }
    }

    /// Sends the masked products back to the peer (the key holder).
    pub(crate) fn send_products<C: Channel + ?Sized>(
        &self,
        ch: &mut C,
        products: &Products,
    ) -> Result<(), BridgeError> {
        let phase = self.phase(false, Step::Results);
        match products {
            Products::Paillier(cts) => super::wire::send_cts(ch, self.peer_pk, cts, phase),
            Products::Rlwe(cts) => {
                send_all(ch, cts.par_iter().map(|c| c.to_bytes()).collect(), phase)
            }
        }
    }

    /// Receives the products of this party's own shares (exactly the plan's count and sizes).
    pub(crate) fn recv_products<C: Channel + ?Sized>(
        &self,
        ch: &mut C,
        plan: &Plan,
    ) -> Result<Products, BridgeError> {
        let phase = self.phase(true, Step::Results);
        match &plan.layout {
            PlanLayout::Paillier(l) => Ok(Products::Paillier(super::wire::recv_cts(
                ch,
                self.own_sk.public_key(),
                plan.m * plan.blocks(l),
                phase,
            )?)),
            PlanLayout::Rlwe(l) => {
                let groups = l.groups();
                let sizes: Vec<usize> = (0..l.output_count())
                    .map(|t| l.output_bytes(t / groups, t % groups))
                    .collect();
                let mut buf = vec![0u8; sizes.iter().sum()];
                ch.recv_exact(&mut buf).map_err(chan(phase))?;
                let mut parts = Vec::with_capacity(sizes.len());
                let mut rest = &buf[..];
                for &s in &sizes {
                    let (head, tail) = rest.split_at(s);
                    parts.push(head);
                    rest = tail;
                }
                let cts = parts
                    .into_par_iter()
                    .enumerate()
                    .map(|(t, b)| rlwe::OutputCiphertext::from_bytes(b, l, t / groups, t % groups))
                    .collect::<Result<_, _>>()
                    .map_err(rl(phase))?;
                Ok(Products::Rlwe(cts))
            }
        }
    }

    /// Step 3 (key holder): decrypts the products of its own shares and returns its share
    /// `−v mod 2^k` (`[i][patch]`).
    pub(crate) fn decrypt(
        &self,
        plan: &Plan,
        products: &Products,
    ) -> Result<Vec<u64>, BridgeError> {
        let phase = self.phase(true, Step::Decrypt);
        match (&self.keys, &plan.layout, products) {
            (Keys::Paillier { .. }, PlanLayout::Paillier(l), Products::Paillier(cts)) => {
                cross::decrypt_packed(self.own_sk, l, &self.ring, cts, plan.m, plan.patches)
                    .map_err(he(phase))
            }
            (Keys::Rlwe { sk, .. }, PlanLayout::Rlwe(l), Products::Rlwe(cts)) => {
                rlwe::decrypt_outputs(sk, l, cts).map_err(rl(phase))
            }
            _ => Err(mixed(phase)),
        }
    }

    /// What the key holder reads in clear in the products of its own shares (for recorded
    /// views): Paillier's full slot integers below `2^w`, RLWE's useful coefficients mod
    /// `2^k` (the masked `v = E·x + ρ`).
    pub(crate) fn clear_values(
        &self,
        plan: &Plan,
        products: &Products,
    ) -> Result<Vec<BigUint>, BridgeError> {
        match (&plan.layout, products) {
            (PlanLayout::Paillier(l), Products::Paillier(cts)) => {
                let blocks = plan.blocks(l);
                let mut out = Vec::new();
                for (t, c) in cts.iter().enumerate() {
                    let used = l.slots().min(plan.patches - (t % blocks) * l.slots());
                    let plain = self.own_sk.decrypt(c).map_err(he("view"))?;
                    out.extend(l.unpack(&plain, used).map_err(he("view"))?);
                }
                Ok(out)
            }
            _ => Ok(self
                .decrypt(plan, products)?
                .into_iter()
                .map(|v| BigUint::from(self.ring.neg(v)))
                .collect()),
        }
    }
}

/// Steps of one engine given another engine's data (a programming error, reported as such).
fn mixed(phase: &'static str) -> BridgeError {
    protocol(phase, "ciphertexts of one engine given to the other".into())
}
