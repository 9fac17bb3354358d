//! The message order of one fast image run, per party ([`schedule`]), and what a party's
//! core asks its runner to do next ([`Action`]).
//!
//! ```text
//! user                                   cloud
//! ── header words, base h_U ───────────▶
//! ◀──────────────────────────── base h_C
//! ── Enc_U(a_U) packed [n][B] ──────────▶
//! ◀────────────── Enc_C(a_C) packed [n][B]   (not on layer 1: a_C = −B is public)
//! W_U·a_C + μ (multi-exp)                α·a_U + ρ (multi-exp)       ← both at once
//! ── Enc_C(W_U·a_C + μ) [m][B] ─────────▶
//! ◀────────────────── Enc_U(α·a_U + ρ) [m][B]
//! decrypt                                decrypt
//! ── garbled activation batch (user garbles, cloud evaluates, y to the cloud) ──
//! after the last layer, per coverage n of a pixel:
//! ── output circuit batch (user garbles, cloud evaluates, the pixels to the user) ──
//! ```
//! That is one unit (layer, chunk) with the image in one chunk ([`Chunking::Whole`]). Cut
//! into chunks, the units are pipelined ([`schedule`]): unit t + 1's inputs are exchanged
//! before unit t's garbled batch, its products computed beside the batch, then exchanged
//! and decrypted, so that a chunk's activations start as soon as its products are in.
//! Either side reads what the other has already sent, so there is no deadlock however large
//! the messages. Layer 1 starts from `a_U = p + B`, `a_C = −B`
//! ([`super::step::input_offset`]), so its terms with `a_C` are local and its cross product
//! 1 packs narrower slots. The last layer sends nothing in clear: each party sums its output
//! shares per pixel (the user adds `centre(p)·2^Fw`) and the output circuits
//! ([`super::output`]) reveal the 8-bit pixels to the user alone; `z_C` never leaves the
//! cloud. The header carries the image's width, height and stride (public, in the leakage
//! statement anyway): the cloud needs them to know which outputs sum to which pixel and
//! checks them against the patch count; and the chunk size (public, chosen by the user).

use super::exchange::Side;
use super::msg::{Expect, GcBatch, Msg};
use super::step::CloudView;
use model::patches::ImageLayout;

/// Where a layer step runs: the layer and the chunk of patches ([`chunk_range`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct At {
    /// The layer (0-based).
    pub layer: usize,
    /// The chunk (0-based).
    pub chunk: usize,
}

/// One step of a party's schedule; layer steps carry where they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// User: send the image header.
    SendHeader,
    /// Cloud: read and check the image header.
    RecvHeader,
    /// Draw this party's per-image key material.
    OwnKeys,
    /// Send its public half.
    SendKey,
    /// Read the peer's public half.
    RecvKey,
    /// Finish the key exchange (randomness tables toward the peer).
    PeerKeys,
    /// Compile the output circuits for the image's coverages.
    PlanOutput,
    /// The layer's local term `±(E·a + b)` on the chunk.
    Local(At),
    /// Encrypt this party's shares under its own key.
    Encrypt(At),
    /// Send them.
    SendInputs(At),
    /// Read the peer's encrypted shares.
    RecvInputs(At),
    /// Multiply them by this party's matrix share, masked.
    Multiply(At),
    /// Send the masked products back.
    SendProducts(At),
    /// Read the products of this party's own shares.
    RecvProducts(At),
    /// Decrypt them.
    Decrypt(At),
    /// The chunk's garbled activation batch; with `Some(next)`, this party's
    /// [`Op::Multiply`] of `next` (whose inputs have arrived) is computed beside it.
    Activation(At, Option<At>),
    /// Pixel sums and the output circuits, one batch per coverage group.
    Output,
}

/// Most chunks an image is cut into (each chunk costs at least a ciphertext per value and
/// layer, and on RLWE a whole product: the cloud refuses more).
pub const MAX_CHUNKS: usize = 64;

/// How the user cuts an image's patches into chunks for the pipeline; the image header
/// carries the chunk size, the cloud follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Chunking {
    /// The default: [`Chunking::Whole`]. Pipelining does not pay on the 2-core reference
    /// machine with both parties on it: unpipelined, the image already keeps both cores
    /// busy (idle Zen 4, `fast_bench` 75×75 on RLWE: 7.0 CPU-s in 3.8 s wall, 1.84 cores),
    /// so the products beside a garbled batch take the cores from the garbler and the
    /// evaluator instead of idle time, and every chunk costs extra work (on RLWE a whole
    /// polynomial product per weight and chunk). Measured in one window, 2,048-bit keys,
    /// niced, load 6–9 from other builds: RLWE 75×75 (225 patches) whole 7.9 / 7.5 s wall
    /// (CPU 5.2 / 5.0 s), 2 chunks 8.2 / 7.9 s (5.3 / 5.2 s), 4 chunks 9.2 / 9.9 s
    /// (6.0 / 6.1 s); Paillier 40×40 (64 patches, load 9–12) whole 74.0 s (CPU 34.7 s),
    /// 2 chunks 108.4 s (41.0 s). With cores to spare (each party on its own machine)
    /// the overlap can pay; measure with `FAST_BENCH_CHUNKS=whole,2,4`.
    #[default]
    Auto,
    /// One chunk: each layer's linear part for all patches, then its activations.
    Whole,
    /// This many chunks of equal size (at most [`MAX_CHUNKS`] and the patch count): chunk
    /// k's activations run while chunk k+1's products are computed.
    Chunks(usize),
}

impl Chunking {
    /// Patches per chunk for an image of `patches` patches (at least 1): equal sizes, the
    /// last chunk possibly smaller. On RLWE each chunk is packed on its own (its own
    /// [`rlwe::Layout`]), so a chunk is a whole number of polynomials; on Paillier a chunk
    /// not a multiple of a layer's slot count leaves one partly filled ciphertext per value.
    pub fn chunk_patches(self, patches: usize) -> usize {
        let patches = patches.max(1);
        match self {
            Chunking::Auto | Chunking::Whole => patches,
            Chunking::Chunks(c) => patches.div_ceil(c.clamp(1, MAX_CHUNKS.min(patches))),
        }
    }
}

impl Chunking {
    /// [`Chunking::chunk_patches`] rounded up to a multiple of `align` (a Paillier layer's
    /// slots per ciphertext) where that keeps the number of chunks: then only the last
    /// chunk has a partly filled ciphertext.
    pub fn aligned_patches(self, patches: usize, align: usize) -> usize {
        let chunk = self.chunk_patches(patches);
        let aligned = chunk
            .div_ceil(align.max(1))
            .saturating_mul(align.max(1))
            .min(patches.max(1));
        if chunk_count(patches, aligned) == chunk_count(patches, chunk) {
            aligned
        } else {
            chunk
        }
    }
}

impl std::str::FromStr for Chunking {
    type Err = String;

    /// `auto`, `whole` or a chunk count.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Chunking::Auto),
            "whole" => Ok(Chunking::Whole),
            _ => match s.parse::<usize>() {
                Ok(c) if (1..=MAX_CHUNKS).contains(&c) => Ok(Chunking::Chunks(c)),
                _ => Err(format!(
                    "chunking `{s}`: auto, whole or a chunk count in 1..={MAX_CHUNKS}"
                )),
            },
        }
    }
}

/// Chunks of `chunk` patches covering `patches` (the last possibly smaller).
pub fn chunk_count(patches: usize, chunk: usize) -> usize {
    patches.div_ceil(chunk.max(1))
}

/// Patches `[c·chunk, min((c+1)·chunk, P))` of chunk c.
pub fn chunk_range(c: usize, chunk: usize, patches: usize) -> std::ops::Range<usize> {
    (c * chunk).min(patches)..((c + 1) * chunk).min(patches)
}

/// A unit's steps before its products (local term, inputs exchanged), its product, and
/// after it (products exchanged, decrypted), in `side`'s wire order.
fn unit_steps(side: Side, at: At) -> (Vec<Op>, Option<Op>, Vec<Op>) {
    use Op::*;
    let first = at.layer == 0;
    match (side, first) {
        (Side::User, true) => (
            vec![Local(at), Encrypt(at), SendInputs(at)],
            None,
            vec![RecvProducts(at), Decrypt(at)],
        ),
        (Side::User, false) => (
            vec![Local(at), Encrypt(at), SendInputs(at), RecvInputs(at)],
            Some(Multiply(at)),
            vec![SendProducts(at), RecvProducts(at), Decrypt(at)],
        ),
        // Layer 1: a_C = −B is public, the cloud encrypts nothing and decrypts nothing.
        (Side::Cloud, true) => (
            vec![Local(at), RecvInputs(at)],
            Some(Multiply(at)),
            vec![SendProducts(at)],
        ),
        (Side::Cloud, false) => (
            vec![Local(at), RecvInputs(at), Encrypt(at), SendInputs(at)],
            Some(Multiply(at)),
            vec![RecvProducts(at), SendProducts(at), Decrypt(at)],
        ),
    }
}

/// The message order of `side` for a model of `layers` layers on an image cut into
/// `chunks` chunks (the protocol's schedule).
///
/// The units (layer, chunk) run layer by layer, chunk by chunk. With one chunk each unit's
/// linear part is followed by its activations. With more, the schedule is pipelined: the
/// next unit's inputs are exchanged before a unit's activation batch, its products are
/// computed beside that batch ([`Op::Activation`] with `Some`), and exchanged and decrypted
/// after it. The next unit is always ready: within a layer chunks are independent (patches
/// do not mix in an MLP), and the first chunk of layer l + 1 needs only the activations of
/// chunk 1 of layer l, done `chunks − 1` batches earlier.
pub fn schedule(side: Side, layers: usize, chunks: usize) -> Vec<Op> {
    use Op::*;
    let mut ops = match side {
        Side::User => vec![SendHeader, OwnKeys, SendKey, RecvKey, PeerKeys, PlanOutput],
        Side::Cloud => vec![RecvHeader, OwnKeys, RecvKey, SendKey, PeerKeys, PlanOutput],
    };
    let chunks = chunks.max(1);
    let units: Vec<At> = (0..layers)
        .flat_map(|layer| (0..chunks).map(move |chunk| At { layer, chunk }))
        .collect();
    let hidden = |at: At| at.layer + 1 < layers;
    if chunks == 1 {
        for &at in &units {
            let (pre, mult, post) = unit_steps(side, at);
            ops.extend(pre.into_iter().chain(mult).chain(post));
            if hidden(at) {
                ops.push(Activation(at, None));
            }
        }
    } else if let Some(&first) = units.first() {
        let (pre, mult, post) = unit_steps(side, first);
        ops.extend(pre.into_iter().chain(mult).chain(post));
        for (t, &at) in units.iter().enumerate() {
            let next = units.get(t + 1).map(|&n| (n, unit_steps(side, n)));
            let mut beside = None;
            if let Some((n, (pre, mult, _))) = &next {
                ops.extend(pre.iter().copied());
                beside = mult.map(|_| *n);
            }
            if hidden(at) {
                ops.push(Activation(at, beside));
            } else if let Some(n) = beside {
                ops.push(Multiply(n));
            }
            if let Some((_, (_, _, post))) = next {
                ops.extend(post);
            }
        }
    }
    ops.push(Output);
    ops
}

/// What the runner does next.
#[derive(Debug)]
pub enum Action {
    /// A pure step was computed.
    Computed(Op),
    /// Send this message ([`super::core::PartyCore::encode`]).
    Send(Op, Msg),
    /// Read a message so framed, then decode and receive it ([`super::core::PartyCore`]).
    Recv(Op, Expect),
    /// Run this batch on the channel, then hand its outputs to
    /// [`super::core::PartyCore::garbled`].
    Garble(Op, GcBatch),
    /// Run this batch on the channel and compute `work` beside it (on another thread:
    /// [`super::core::PartyCore::work`] needs only `&PartyCore`), then hand the work's
    /// result to [`super::core::PartyCore::worked`] and the batch's outputs to
    /// [`super::core::PartyCore::garbled`], in that order.
    GarbleBeside(Op, GcBatch, Work),
    /// The run is over.
    Done(Finished),
}

/// A party's result of the run.
#[derive(Debug)]
pub struct Finished {
    /// The user's 8-bit pixels (empty for the cloud).
    pub pixels: Vec<u8>,
    /// The image's layout.
    pub image: ImageLayout,
    /// Patches of the image.
    pub patches: usize,
    /// The cloud's view, when asked to record it.
    pub view: Option<CloudView>,
}

/// A pure step for the runner to compute beside a garbled batch ([`super::core::PartyCore::work`]):
/// this party's masked products of the unit `at`, with randomness from `seed` (drawn from the
/// party's CSPRNG when the step was handed out, expanded with ChaCha20).
pub struct Work {
    pub(crate) at: At,
    pub(crate) seed: [u8; 32],
}

impl std::fmt::Debug for Work {
    /// The unit only (the seed is secret).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Work(products of {:?})", self.at)
    }
}

impl Work {
    /// The unit whose products this computes.
    pub fn at(&self) -> At {
        self.at
    }
}
