//! The share pairing (module docs of [`super::pairing`]) as a pure core: its two messages as
//! types, one per direction ([`PairOffer`] cloud → user, [`PairAnswer`] user → cloud), their
//! wire forms, and the cloud's decision ([`PairAnswer::reuses`]; the user's, which reads its
//! share file, is [`super::job`]'s). No channel: [`super::pairing`]'s runners move the
//! bytes.
//!
//! ```text
//! offer   words magic | version, u64 length 96, model hash [32] | stored pair id [32]
//!         | session id [32]   (pair id all zero when the cloud has no share for this
//!         user and model)                                                  120 bytes
//! answer  words magic | decision (1 reuse, 0 new setup), u64 length 64, pair id [32]
//!         | session id [32]                                                 88 bytes
//! ```
//!
//! The session id is the channel's (`Channel::session_id`); a message of another session is
//! refused.

use super::shares::ShareBinding;
use super::wire::{check_session, expect_words, protocol};
use crate::error::ProtocolError;

const MAGIC: u64 = u64::from_le_bytes(*b"GCCNN-FP");
const VERSION: u64 = 2;
/// Phase of the offer.
pub(crate) const OFFER: &str = "share pairing offer";
/// Phase of the answer.
pub(crate) const ANSWER: &str = "share pairing answer";

/// What the cloud offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairOffer {
    /// The model the cloud serves.
    pub model_hash: [u8; 32],
    /// The pair id of the cloud's stored share for this user, if any.
    pub cloud_pair: Option<[u8; 32]>,
    /// The session the offer belongs to.
    pub session: [u8; 32],
}

/// What the user answers: the pair id to reuse, or a new setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairAnswer {
    /// The pair id of the user's stored share when both reuse it.
    pub reuse: Option<[u8; 32]>,
    /// The session the answer belongs to.
    pub session: [u8; 32],
}

/// Little-endian words, then a u64 length and `body`.
fn frame(words: [u64; 2], body: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// The two words, the checked length and the body of a frame of `body` bytes.
fn unframe<'a>(
    bytes: &'a [u8],
    body: usize,
    phase: &'static str,
) -> Result<([u64; 3], &'a [u8]), ProtocolError> {
    if bytes.len() != 24 + body {
        return Err(protocol(
            phase,
            format!("{} bytes, expected {}", bytes.len(), 24 + body),
        ));
    }
    let mut w = [0u64; 3];
    for (w, c) in w.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        *w = u64::from_le_bytes(b);
    }
    Ok((w, &bytes[24..]))
}

/// The length word of a frame must name its body.
fn check_length(len: u64, body: usize, phase: &'static str) -> Result<(), ProtocolError> {
    if len == body as u64 {
        return Ok(());
    }
    Err(protocol(phase, format!("{len} bytes, expected {body}")))
}

fn array(bytes: &[u8]) -> [u8; 32] {
    let mut a = [0u8; 32];
    a.copy_from_slice(&bytes[..32]);
    a
}

impl PairOffer {
    /// Bytes of the wire form.
    pub const BYTES: usize = 24 + 96;

    /// The cloud's offer of `model_hash` and its stored share (if any) in `session`.
    pub fn new(model_hash: &[u8; 32], stored: Option<&ShareBinding>, session: [u8; 32]) -> Self {
        Self {
            model_hash: *model_hash,
            cloud_pair: stored.map(|b| b.pair_id),
            session,
        }
    }

    /// Wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let pair = self.cloud_pair.unwrap_or([0; 32]);
        frame(
            [MAGIC, VERSION],
            &[self.model_hash, pair, self.session].concat(),
        )
    }

    /// Reads the wire form and checks magic, version, length and that it belongs to
    /// `session`.
    pub fn from_bytes(bytes: &[u8], session: &[u8; 32]) -> Result<Self, ProtocolError> {
        let ([magic, version, len], body) = unframe(bytes, 96, OFFER)?;
        expect_words(
            OFFER,
            &["magic", "version"],
            &[MAGIC, VERSION],
            &[magic, version],
        )?;
        check_length(len, 96, OFFER)?;
        let (pair, theirs) = (array(&body[32..]), array(&body[64..]));
        check_session(OFFER, session, &theirs)?;
        Ok(Self {
            model_hash: array(body),
            cloud_pair: (pair != [0; 32]).then_some(pair),
            session: theirs,
        })
    }
}

impl PairAnswer {
    /// The user's answer in `session`: reuse `stored` (its share, already checked to be the
    /// offered pair's partner: [`super::job`]), or a new setup.
    pub fn new(stored: Option<&ShareBinding>, session: [u8; 32]) -> Self {
        Self {
            reuse: stored.map(|b| b.pair_id),
            session,
        }
    }

    /// Bytes of the wire form.
    pub const BYTES: usize = 24 + 64;

    /// The cloud's decision, holding `stored` (the share its offer named): `true` when both
    /// reuse it; an answer naming another pair is a protocol error.
    pub fn reuses(&self, stored: Option<&ShareBinding>) -> Result<bool, ProtocolError> {
        match (self.reuse, stored) {
            (None, _) => Ok(false),
            (Some(theirs), Some(ours)) if theirs == ours.pair_id => Ok(true),
            (Some(_), _) => Err(protocol(
                ANSWER,
                "the user wants to reuse a share pair the cloud does not hold".into(),
            )),
        }
    }

    /// Wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let pair = self.reuse.unwrap_or([0; 32]);
        let decision = u64::from(self.reuse.is_some());
        frame([MAGIC, decision], &[pair, self.session].concat())
    }

    /// Reads the wire form and checks magic, length, that it belongs to `session`, and the
    /// decision.
    pub fn from_bytes(bytes: &[u8], session: &[u8; 32]) -> Result<Self, ProtocolError> {
        let ([magic, decision, len], body) = unframe(bytes, 64, ANSWER)?;
        expect_words(ANSWER, &["magic"], &[MAGIC], &[magic])?;
        check_length(len, 64, ANSWER)?;
        let (pair, theirs) = (array(body), array(&body[32..]));
        check_session(ANSWER, session, &theirs)?;
        let reuse = match decision {
            0 => None,
            1 => Some(pair),
            d => return Err(protocol(ANSWER, format!("decision {d}, expected 0 or 1"))),
        };
        Ok(Self {
            reuse,
            session: theirs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: [u8; 32] = [0x5e; 32];

    fn binding(pair: u8, model: u8, key: u8) -> ShareBinding {
        ShareBinding {
            pair_id: [pair; 32],
            model_hash: [model; 32],
            user_key: [key; 8],
        }
    }

    #[test]
    fn the_cloud_reuses_only_the_pair_it_holds() {
        let cloud = binding(1, 2, 3);
        let offer = PairOffer::new(&[2; 32], Some(&cloud), S);
        assert_eq!(offer.cloud_pair, Some([1; 32]));
        assert_eq!(PairOffer::new(&[2; 32], None, S).cloud_pair, None);
        // The user holds the partner share: both reuse it.
        let answer = PairAnswer::new(Some(&binding(1, 2, 3)), S);
        assert_eq!(answer.reuse, Some([1; 32]));
        assert!(answer.reuses(Some(&cloud)).expect("accept"));
        // A new setup whatever the cloud holds.
        let fresh = PairAnswer::new(None, S);
        assert!(!fresh.reuses(Some(&cloud)).expect("new setup"));
        assert!(!fresh.reuses(None).expect("new setup"));
        // A user naming a pair the cloud does not hold (or none at all) is refused.
        for stored in [None, Some(binding(7, 2, 3))] {
            let e = answer.reuses(stored.as_ref()).expect_err("unknown pair");
            assert_eq!(e.phase(), ANSWER);
            assert!(e.to_string().contains("does not hold"), "{e}");
        }
    }

    #[test]
    fn wire_forms_are_the_documented_bytes_and_round_trip() {
        let offer = PairOffer {
            model_hash: [0xab; 32],
            cloud_pair: Some([0xcd; 32]),
            session: S,
        };
        let bytes = offer.to_bytes();
        assert_eq!(bytes.len(), PairOffer::BYTES);
        assert_eq!(&bytes[..8], b"GCCNN-FP");
        assert_eq!(bytes[8..16], 2u64.to_le_bytes());
        assert_eq!(bytes[16..24], 96u64.to_le_bytes());
        assert_eq!(bytes[24..56], [0xab; 32]);
        assert_eq!(bytes[56..88], [0xcd; 32]);
        assert_eq!(bytes[88..], S);
        assert_eq!(PairOffer::from_bytes(&bytes, &S).expect("offer"), offer);
        let none = PairOffer {
            cloud_pair: None,
            ..offer
        };
        assert_eq!(none.to_bytes()[56..88], [0; 32]);
        assert_eq!(
            PairOffer::from_bytes(&none.to_bytes(), &S).expect("offer"),
            none
        );
        for reuse in [None, Some([5; 32])] {
            let answer = PairAnswer { reuse, session: S };
            let bytes = answer.to_bytes();
            assert_eq!(bytes.len(), PairAnswer::BYTES);
            assert_eq!(&bytes[..8], b"GCCNN-FP");
            assert_eq!(bytes[8..16], u64::from(reuse.is_some()).to_le_bytes());
            assert_eq!(bytes[16..24], 64u64.to_le_bytes());
            assert_eq!(bytes[24..56], reuse.unwrap_or([0; 32]));
            assert_eq!(bytes[56..], S);
            assert_eq!(PairAnswer::from_bytes(&bytes, &S).expect("answer"), answer);
        }
    }

    #[test]
    fn malformed_or_foreign_messages_are_refused_naming_the_field() {
        let mut offer = PairOffer::new(&[1; 32], None, S).to_bytes();
        let e = PairOffer::from_bytes(&offer, &[0; 32]).expect_err("other session");
        assert_eq!(e.phase(), OFFER);
        assert!(
            e.to_string()
                .contains("session 5e5e5e5e5e5e5e5e…, this session is 0000000000000000…"),
            "{e}"
        );
        offer[8] = 1;
        let e = PairOffer::from_bytes(&offer, &S).expect_err("version");
        assert!(
            e.to_string().contains("version: peer says 1, expected 2"),
            "{e}"
        );
        offer[8] = 2;
        offer[16] = 63;
        let e = PairOffer::from_bytes(&offer, &S).expect_err("length");
        assert!(e.to_string().contains("63 bytes, expected 96"), "{e}");
        assert!(PairOffer::from_bytes(&offer[..119], &S).is_err());
        let mut answer = PairAnswer::new(None, S).to_bytes();
        assert!(PairAnswer::from_bytes(&answer, &[1; 32]).is_err());
        answer[8] = 2;
        let e = PairAnswer::from_bytes(&answer, &S).expect_err("decision");
        assert_eq!(e.phase(), ANSWER);
        assert!(e.to_string().contains("decision 2, expected 0 or 1"), "{e}");
        answer[0] ^= 1;
        let e = PairAnswer::from_bytes(&answer, &S).expect_err("magic");
        assert!(e.to_string().contains("magic"), "{e}");
    }
}
