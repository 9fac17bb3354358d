//! The two cross products of a layer behind one interface: packed Paillier (docs/protocol.md §3,
//! [`super::cross`]) or ring-LWE in Cheetah's coefficient encoding (docs/protocol.md §4, the
//! `gcc-nn-rlwe` crate). Everything else of the fast protocol is the same for both: the
//! owner's Paillier upload, the Paillier re-sharing once per (user, model), the shares in
//! `Z_(2^k)`, the garbled activations and the output circuits. The per-layer steps of
//! [`super::step`] call one `Cross` whatever the engine. No I/O here: messages are built
//! and read as bytes, the runner ([`super::party`]) moves them.
//!
//! Per image ([`OwnKeys::draw`] and [`KeyMsg`], right after the image header, which carries
//! the engine so that both sides agree or the cloud refuses):
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
use super::exchange::{KeyMsg, OwnKeys, Side};
use super::framing::Framing;
use super::fresh::FreshZeros;
use super::ring::Ring;
use super::wire::protocol;
use crate::error::{ProtocolError, he, rl};
use paillier::{BigUint, Ciphertext, PublicKey, SecretKey, SlotLayout};
use rand::CryptoRng;
use rayon::prelude::*;

pub use super::cross_engine::CrossEngine;

/// The cloud's check of the engine word of the user's image header.
pub(crate) fn check_engine_word(ours: CrossEngine, word: u64) -> Result<(), ProtocolError> {
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
pub struct Plan {
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
pub enum Inputs {
    /// Packed Paillier ciphertexts, `[n][blocks]`.
    Paillier(Vec<Ciphertext>),
    /// RLWE input ciphertexts in the layout's order.
    Rlwe(Vec<rlwe::InputCiphertext>),
}

/// The multiplier's masked products (the second message).
pub enum Products {
    /// Packed Paillier ciphertexts, `[m][blocks]`.
    Paillier(Vec<Ciphertext>),
    /// RLWE output ciphertexts in the layout's order.
    Rlwe(Vec<rlwe::OutputCiphertext>),
}

impl std::fmt::Debug for Inputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Inputs({} ciphertexts)", self.len())
    }
}

impl std::fmt::Debug for Products {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Products({} ciphertexts)", self.len())
    }
}

impl Inputs {
    /// Number of ciphertexts.
    pub fn len(&self) -> usize {
        match self {
            Inputs::Paillier(c) => c.len(),
            Inputs::Rlwe(c) => c.len(),
        }
    }

    /// No ciphertexts.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Products {
    /// Number of ciphertexts.
    pub fn len(&self) -> usize {
        match self {
            Products::Paillier(c) => c.len(),
            Products::Rlwe(c) => c.len(),
        }
    }

    /// No ciphertexts.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

/// Fixed-width Paillier ciphertexts back to back.
fn paillier_bytes(pk: &PublicKey, cts: &[Ciphertext]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(pk.ciphertext_bytes() * cts.len());
    for c in cts {
        pk.write_ciphertext(c, &mut buf);
    }
    buf
}

/// Reads fixed-width Paillier ciphertexts under `pk` (`bytes` is a whole number of them).
fn paillier_cts(
    pk: &PublicKey,
    bytes: &[u8],
    phase: &'static str,
) -> Result<Vec<Ciphertext>, ProtocolError> {
    bytes
        .par_chunks(pk.ciphertext_bytes())
        .map(|b| pk.read_ciphertext(b))
        .collect::<Result<_, _>>()
        .map_err(he(phase))
}

impl<'a> Cross<'a> {
    /// Completes the per-image key exchange with the peer's message `theirs`; `uses` bounds
    /// the Paillier fresh zeros toward the peer.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new<R: CryptoRng + ?Sized>(
        side: Side,
        ring: Ring,
        own_sk: &'a SecretKey,
        peer_pk: &'a PublicKey,
        own: OwnKeys,
        theirs: KeyMsg,
        uses: usize,
        rng: &mut R,
    ) -> Result<Self, ProtocolError> {
        let keys = match (own, theirs) {
            (OwnKeys::Paillier(own), KeyMsg::Paillier(base)) => {
                let peer = FreshZeros::toward_holder(peer_pk, &base, uses, rng);
                Keys::Paillier { own, peer }
            }
            (OwnKeys::Rlwe(sk), KeyMsg::Rlwe(peer)) => Keys::Rlwe { sk, peer },
            _ => return Err(mixed("key exchange")),
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
    ) -> Result<Plan, ProtocolError> {
        let layout = match self.keys {
            Keys::Paillier { .. } => PlanLayout::Paillier(super::step::layer_layout(
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
    ) -> Result<Inputs, ProtocolError> {
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

    /// Wire form of this party's encrypted shares.
    pub(crate) fn inputs_bytes(
        &self,
        plan: &Plan,
        inputs: &Inputs,
    ) -> Result<Vec<u8>, ProtocolError> {
        match (inputs, &plan.layout) {
            (Inputs::Paillier(cts), PlanLayout::Paillier(_)) => {
                Ok(paillier_bytes(self.own_sk.public_key(), cts))
            }
            (Inputs::Rlwe(cts), PlanLayout::Rlwe(l)) => {
                Ok(cts.par_iter().flat_map_iter(|c| c.to_bytes(l)).collect())
            }
            _ => Err(mixed(self.phase(true, Step::Inputs))),
        }
    }

    /// How the peer's encrypted shares arrive (exactly the plan's count of fixed-width
    /// ciphertexts), and the phase of that message.
    pub(crate) fn peer_inputs_framing(&self, plan: &Plan) -> (Framing, &'static str) {
        let (count, size) = match &plan.layout {
            PlanLayout::Paillier(l) => (plan.n * plan.blocks(l), self.peer_pk.ciphertext_bytes()),
            PlanLayout::Rlwe(l) => (l.input_count(), l.input_bytes()),
        };
        (
            Framing::Records { count, size },
            self.phase(false, Step::Inputs),
        )
    }

    /// Reads the peer's encrypted shares from `bytes` ([`Cross::peer_inputs_framing`]).
    pub(crate) fn peer_inputs(&self, plan: &Plan, bytes: &[u8]) -> Result<Inputs, ProtocolError> {
        let (framing, phase) = self.peer_inputs_framing(plan);
        let len = framing.bytes();
        if bytes.len() != len {
            return Err(short(phase, bytes.len(), len));
        }
        match &plan.layout {
            PlanLayout::Paillier(_) => {
                Ok(Inputs::Paillier(paillier_cts(self.peer_pk, bytes, phase)?))
            }
            PlanLayout::Rlwe(l) => Ok(Inputs::Rlwe(
                bytes
                    .par_chunks(l.input_bytes())
                    .map(|b| rlwe::InputCiphertext::from_bytes(b, l))
                    .collect::<Result<_, _>>()
                    .map_err(rl(phase))?,
            )),
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
    ) -> Result<(Products, Vec<u64>), ProtocolError> {
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

    /// Wire form of the masked products returned to the peer (the key holder).
    pub(crate) fn products_bytes(&self, products: &Products) -> Vec<u8> {
        match products {
            Products::Paillier(cts) => paillier_bytes(self.peer_pk, cts),
            Products::Rlwe(cts) => cts.par_iter().flat_map_iter(|c| c.to_bytes()).collect(),
        }
    }

    /// Sizes of the products of this party's own shares (exactly the plan's count), and the
    /// phase of that message.
    fn own_product_sizes(&self, plan: &Plan) -> (Vec<usize>, &'static str) {
        let sizes = match &plan.layout {
            PlanLayout::Paillier(l) => {
                vec![self.own_sk.public_key().ciphertext_bytes(); plan.m * plan.blocks(l)]
            }
            PlanLayout::Rlwe(l) => {
                let groups = l.groups();
                (0..l.output_count())
                    .map(|t| l.output_bytes(t / groups, t % groups))
                    .collect()
            }
        };
        (sizes, self.phase(true, Step::Results))
    }

    /// How the products of this party's own shares arrive (Paillier: fixed-width
    /// ciphertexts; RLWE: their sizes back to back), and the phase of that message.
    pub(crate) fn own_products_framing(&self, plan: &Plan) -> (Framing, &'static str) {
        let (sizes, phase) = self.own_product_sizes(plan);
        let framing = match &plan.layout {
            PlanLayout::Paillier(_) => Framing::Records {
                count: sizes.len(),
                size: self.own_sk.public_key().ciphertext_bytes(),
            },
            PlanLayout::Rlwe(_) => Framing::Exact(sizes.iter().sum()),
        };
        (framing, phase)
    }

    /// Reads the products of this party's own shares from `bytes`
    /// ([`Cross::own_products_framing`]).
    pub(crate) fn own_products(
        &self,
        plan: &Plan,
        bytes: &[u8],
    ) -> Result<Products, ProtocolError> {
        let (sizes, phase) = self.own_product_sizes(plan);
        let len: usize = sizes.iter().sum();
        if bytes.len() != len {
            return Err(short(phase, bytes.len(), len));
        }
        match &plan.layout {
            PlanLayout::Paillier(_) => Ok(Products::Paillier(paillier_cts(
                self.own_sk.public_key(),
                bytes,
                phase,
            )?)),
            PlanLayout::Rlwe(l) => {
                let groups = l.groups();
                let mut parts = Vec::with_capacity(sizes.len());
                let mut rest = bytes;
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
    ) -> Result<Vec<u64>, ProtocolError> {
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
    ) -> Result<Vec<BigUint>, ProtocolError> {
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

/// A message of the wrong length (a programming error of the runner, reported as such).
fn short(phase: &'static str, got: usize, want: usize) -> ProtocolError {
    protocol(phase, format!("{got} bytes, expected {want}"))
}

/// Steps of one engine given another engine's data (a programming error, reported as such).
fn mixed(phase: &'static str) -> ProtocolError {
    protocol(phase, "ciphertexts of one engine given to the other".into())
}
