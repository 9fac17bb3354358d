//! The messages of one fast image run as types: one enum per direction ([`UserMsg`],
//! [`CloudMsg`]), their wire forms, and how the runner reads each ([`Expect`]).
//!
//! Wire forms (version 6 of the image header added the chunk size, version 7 the garbling
//! scheme, version 8 the session id):
//! - image header: thirteen little-endian u64 words, then the session id [32]
//!   ([`ImageHeader`]; the cloud refuses a header of another session);
//! - key message: a u64 length, then a fixed-width Paillier base or an RLWE public key;
//! - inputs and products: ciphertexts back to back, their count and sizes fixed by the
//!   layer's public plan ([`super::engine::Plan`]), so nothing is length-prefixed.

use super::engine::{CrossEngine, Inputs, Products};
use super::exchange::KeyMsg;
pub use super::framing::Framing;
use super::wire::{protocol, trailing_session};
use crate::error::ProtocolError;
use paillier::PublicKey;
use runtime::channel::SessionId;
use runtime::driver::Reveal;
use runtime::scheme::Scheme;

/// First word of the image header.
pub(crate) const MAGIC: u64 = u64::from_le_bytes(*b"GCCNN-FI");
/// Second word: the image run's version.
pub(crate) const VERSION: u64 = 8;
/// Words of the image header (the session id follows them).
pub(crate) const HEADER_WORDS: usize = 13;
/// Bytes of the image header: its words and the session id.
pub(crate) const HEADER_BYTES: usize = HEADER_WORDS * 8 + 32;

/// The user's first message of an image: public facts both sides check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageHeader {
    /// [`MAGIC`] from an honest user.
    pub magic: u64,
    /// [`VERSION`] from an honest user.
    pub version: u64,
    /// Bits k of the share ring.
    pub ring_bits: u64,
    /// Patches of the image.
    pub patches: u64,
    /// Fingerprint of the user's Paillier key.
    pub user_key: u64,
    /// Fingerprint of the cloud's Paillier key.
    pub cloud_key: u64,
    /// The share pair's id word ([`super::ShareBinding::pair_word`]).
    pub pair: u64,
    /// Image width.
    pub width: u64,
    /// Image height.
    pub height: u64,
    /// Patch stride.
    pub stride: u64,
    /// Linear-layer engine ([`CrossEngine::code`]).
    pub engine: u64,
    /// Patches per chunk of the pipeline ([`super::schedule::Chunking`]; the patch count
    /// for one chunk).
    pub chunk: u64,
    /// Garbling scheme of every batch ([`Scheme::code`]): the user's choice, which the cloud
    /// takes if it knows the code.
    pub scheme: u64,
    /// The session the image runs in (the channel's id).
    pub session: SessionId,
}

/// The header's fields in wire order, named once for both conversions.
macro_rules! header_words {
    ($($field:ident),* $(,)?) => {
        impl ImageHeader {
            /// The words in wire order.
            pub fn to_words(&self) -> [u64; HEADER_WORDS] {
                [$(self.$field),*]
            }

            /// From the words and the session id (checked by the cloud's core, not here).
            pub fn from_words(w: [u64; HEADER_WORDS], session: SessionId) -> Self {
                let [$($field),*] = w;
                Self { $($field,)* session }
            }
        }
    };
}

header_words!(
    magic, version, ring_bits, patches, user_key, cloud_key, pair, width, height, stride, engine,
    chunk, scheme,
);

impl ImageHeader {
    /// Wire form: the words little-endian, then the session id.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self
            .to_words()
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        out.extend_from_slice(&self.session);
        out
    }

    /// Reads the wire form (exactly [`HEADER_BYTES`] bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProtocolError> {
        if bytes.len() != HEADER_BYTES {
            return Err(protocol(
                "image header",
                format!("{} bytes, expected {HEADER_BYTES}", bytes.len()),
            ));
        }
        let mut w = [0u64; HEADER_WORDS];
        for (w, c) in w.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            *w = u64::from_le_bytes(b);
        }
        Ok(Self::from_words(w, trailing_session(bytes)))
    }
}

/// What the user sends to the cloud, in this order per image: [`UserMsg::Header`],
/// [`UserMsg::Key`], then per layer and chunk [`UserMsg::Inputs`] and (from layer 2)
/// [`UserMsg::Products`]; the garbled batches run on the channel between them.
#[derive(Debug)]
pub enum UserMsg {
    /// The image header.
    Header(ImageHeader),
    /// The user's per-image key material (its base `h_U` or RLWE public key).
    Key(KeyMsg),
    /// `Enc_U(a_U)`.
    Inputs(Inputs),
    /// `Enc_C(W_U·a_C + μ)`.
    Products(Products),
}

/// What the cloud sends to the user: [`CloudMsg::Key`], then per layer (from layer 2)
/// [`CloudMsg::Inputs`], and [`CloudMsg::Products`].
#[derive(Debug)]
pub enum CloudMsg {
    /// The cloud's per-image key material (its base `h_C` or RLWE public key).
    Key(KeyMsg),
    /// `Enc_C(a_C)`.
    Inputs(Inputs),
    /// `Enc_U(α·a_U + ρ)`.
    Products(Products),
}

/// A message in either direction (what a core emits or accepts).
#[derive(Debug)]
pub enum Msg {
    /// From the user to the cloud.
    ToCloud(UserMsg),
    /// From the cloud to the user.
    ToUser(CloudMsg),
}

/// The parts of a message both directions share (how a core builds and takes them apart).
pub(crate) enum Part {
    Key(KeyMsg),
    Inputs(Inputs),
    Products(Products),
}

impl Msg {
    /// The message `part` sent by `user` (true) or the cloud.
    pub(crate) fn from_part(user: bool, part: Part) -> Self {
        match (user, part) {
            (true, Part::Key(k)) => Msg::ToCloud(UserMsg::Key(k)),
            (true, Part::Inputs(i)) => Msg::ToCloud(UserMsg::Inputs(i)),
            (true, Part::Products(p)) => Msg::ToCloud(UserMsg::Products(p)),
            (false, Part::Key(k)) => Msg::ToUser(CloudMsg::Key(k)),
            (false, Part::Inputs(i)) => Msg::ToUser(CloudMsg::Inputs(i)),
            (false, Part::Products(p)) => Msg::ToUser(CloudMsg::Products(p)),
        }
    }

    /// The shared part (`None` for the image header).
    pub(crate) fn into_part(self) -> Option<Part> {
        match self {
            Msg::ToCloud(UserMsg::Header(_)) => None,
            Msg::ToCloud(UserMsg::Key(k)) | Msg::ToUser(CloudMsg::Key(k)) => Some(Part::Key(k)),
            Msg::ToCloud(UserMsg::Inputs(i)) | Msg::ToUser(CloudMsg::Inputs(i)) => {
                Some(Part::Inputs(i))
            }
            Msg::ToCloud(UserMsg::Products(p)) | Msg::ToUser(CloudMsg::Products(p)) => {
                Some(Part::Products(p))
            }
        }
    }

    /// Whether the user sent it.
    pub fn from_user(&self) -> bool {
        matches!(self, Msg::ToCloud(_))
    }

    /// Short name in errors.
    pub fn name(&self) -> &'static str {
        match self {
            Msg::ToCloud(UserMsg::Header(_)) => "image header",
            Msg::ToCloud(UserMsg::Key(_)) | Msg::ToUser(CloudMsg::Key(_)) => "key message",
            Msg::ToCloud(UserMsg::Inputs(_)) | Msg::ToUser(CloudMsg::Inputs(_)) => "inputs",
            Msg::ToCloud(UserMsg::Products(_)) | Msg::ToUser(CloudMsg::Products(_)) => "products",
        }
    }
}

/// What the core waits for: the framing and the message's phase (for errors and timing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expect {
    /// How to read it.
    pub framing: Framing,
    /// The message's phase name.
    pub phase: &'static str,
}

/// Which circuit a garbled batch runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcCircuit {
    /// The activation on shares.
    Activation,
    /// The output circuit of coverage group `g`.
    Output(usize),
}

/// A garbled batch for the runner: this party's input bits per instance.
#[derive(Debug)]
pub struct GcBatch {
    /// The circuit ([`super::core::PartyCore::circuit`]).
    pub circuit: GcCircuit,
    /// Whether this party garbles (the user always does).
    pub garbler: bool,
    /// Who learns the outputs.
    pub reveal: Reveal,
    /// The garbling scheme (the image header's).
    pub scheme: Scheme,
    /// Input bits per instance.
    pub bits: Vec<Vec<bool>>,
}

/// The garbling scheme an image header's word names; an unknown code is refused, naming the
/// schemes this build knows.
pub(crate) fn scheme_of_word(word: u64) -> Result<Scheme, ProtocolError> {
    u8::try_from(word)
        .ok()
        .and_then(Scheme::from_code)
        .ok_or_else(|| {
            let known: Vec<String> = Scheme::ALL
                .iter()
                .map(|s| format!("{s} ({})", s.code()))
                .collect();
            protocol(
                "image header",
                format!(
                    "garbling scheme code {word} is unknown to this cloud (it garbles with {})",
                    known.join(" or ")
                ),
            )
        })
}

/// Wire form of a key message under `pk` (length-prefixed).
pub(crate) fn key_wire(key: &KeyMsg, pk: &PublicKey) -> Vec<u8> {
    let body = key.to_bytes(pk);
    let mut out = Vec::with_capacity(8 + body.len());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// The framing of a key message for `engine` under `pk`.
pub(crate) fn key_framing(engine: CrossEngine, pk: &PublicKey) -> Framing {
    Framing::Prefixed {
        max: KeyMsg::max_bytes(engine, pk),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_words_round_trip_in_wire_order() {
        let words: [u64; HEADER_WORDS] = std::array::from_fn(|i| 1000 + i as u64);
        let h = ImageHeader::from_words(words, [0x5e; 32]);
        assert_eq!(h.patches, 1003);
        assert_eq!(h.engine, 1010);
        assert_eq!(h.chunk, 1011);
        assert_eq!(h.scheme, 1012);
        let bytes = h.to_bytes();
        assert_eq!(bytes.len(), HEADER_WORDS * 8 + 32);
        assert_eq!(&bytes[..8], &1000u64.to_le_bytes());
        assert_eq!(&bytes[96..104], &1012u64.to_le_bytes());
        assert_eq!(bytes[104..], [0x5e; 32]);
        assert_eq!(ImageHeader::from_bytes(&bytes).expect("parse"), h);
        assert!(ImageHeader::from_bytes(&bytes[1..]).is_err());
    }

    #[test]
    fn scheme_words_name_a_known_scheme_or_are_refused() {
        for s in Scheme::ALL {
            assert_eq!(scheme_of_word(u64::from(s.code())).expect("known"), s);
        }
        for word in [0, 3, 0x101, u64::MAX] {
            let e = scheme_of_word(word).expect_err("unknown").to_string();
            assert!(e.contains(&format!("code {word}")), "{e}");
            assert!(
                e.contains("half-gates (1)") && e.contains("three-halves (2)"),
                "{e}"
            );
        }
    }
}
