//! The handshake opening every run: magic, version, role, reveal mode, batch size, circuit
//! hash, the channel's session identifier ([`Channel::session_id`]) and the garbling
//! [`Scheme`], sent by both sides and compared: a handshake of another session, or a peer
//! garbling with another scheme, is refused.

use super::error::chan;
use super::{DriverError, MAX_INSTANCES, Reveal, TwoPartyCircuit};
use crate::channel::Channel;
use crate::scheme::Scheme;
use circuit::Party;

const MAGIC: &[u8; 8] = b"GCCNN-GC";
/// Version 4: the garbler's input labels are derived from the evaluator's seed, not sent.
const VERSION: u32 = 4;
/// Bytes of the handshake message each side sends.
pub const HANDSHAKE_BYTES: usize = 87;

pub(super) fn handshake<C: Channel + ?Sized>(
    ch: &mut C,
    tpc: &TwoPartyCircuit,
    instances: u64,
    reveal: Reveal,
    scheme: Scheme,
    role: Party,
) -> Result<(), DriverError> {
    let e = chan("handshake");
    let role_code = |p: Party| match p {
        Party::Garbler => 1u8,
        Party::Evaluator => 2u8,
    };
    let mut msg = Vec::with_capacity(HANDSHAKE_BYTES);
    msg.extend_from_slice(MAGIC);
    msg.extend_from_slice(&VERSION.to_le_bytes());
    msg.push(role_code(role));
    msg.push(reveal.code());
    msg.extend_from_slice(&instances.to_le_bytes());
    msg.extend_from_slice(&tpc.hash);
    let session = ch.session_id();
    msg.extend_from_slice(&session);
    msg.push(scheme.code());
    ch.send(&msg).map_err(&e)?;
    ch.flush().map_err(&e)?;
    let mut peer = [0u8; HANDSHAKE_BYTES];
    ch.recv_exact(&mut peer[..8]).map_err(&e)?;
    if &peer[..8] != MAGIC {
        let mut got = [0u8; 8];
        got.copy_from_slice(&peer[..8]);
        return Err(DriverError::NotAPeer { got });
    }
    ch.recv_exact(&mut peer[8..]).map_err(&e)?;
    let theirs = u32::from_le_bytes([peer[8], peer[9], peer[10], peer[11]]);
    if theirs != VERSION {
        return Err(DriverError::Version {
            ours: VERSION,
            theirs,
        });
    }
    if peer[54..86] != session {
        let mut theirs = [0u8; 32];
        theirs.copy_from_slice(&peer[54..86]);
        return Err(DriverError::WrongSession {
            ours: crate::channel::short_session(&session),
            theirs: crate::channel::short_session(&theirs),
        });
    }
    if peer[12] == role_code(role) {
        return Err(DriverError::SameRole(match role {
            Party::Garbler => "garbler",
            Party::Evaluator => "evaluator",
        }));
    }
    let mut n = [0u8; 8];
    n.copy_from_slice(&peer[14..22]);
    let their_instances = u64::from_le_bytes(n);
    if their_instances > MAX_INSTANCES {
        return Err(DriverError::TooManyInstances {
            who: "the peer's",
            got: their_instances,
        });
    }
    if peer[22..54] != tpc.hash {
        let hex = |b: &[u8]| {
            b[..8]
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect::<String>()
        };
        return Err(DriverError::CircuitMismatch {
            ours: hex(&tpc.hash),
            theirs: hex(&peer[22..54]),
        });
    }
    if their_instances != instances {
        return Err(DriverError::InstanceMismatch {
            ours: instances,
            theirs: their_instances,
        });
    }
    if peer[13] != reveal.code() {
        return Err(DriverError::RevealMismatch {
            ours: reveal,
            theirs: peer[13],
        });
    }
    if peer[86] != scheme.code() {
        return Err(DriverError::SchemeMismatch {
            ours: scheme,
            theirs: peer[86],
        });
    }
    Ok(())
}
