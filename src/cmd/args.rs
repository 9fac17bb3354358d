//! Support module: option types that several commands share (`denoise --connect`, `demo`,
//! `garbler`, `evaluator`, `bench-gc`).

use clap::ValueEnum;
use protocol::session::ProtocolKind;
use runtime::scheme::Scheme;

/// Which secure protocol a user asks for.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum ProtocolChoice {
    /// The paper's protocol (docs/protocol.md §2).
    Reference,
    /// The fast whole-image protocol (docs/protocol.md §3), linear layers on packed Paillier.
    Fast,
    /// The fast whole-image protocol with its linear layers on ring-LWE (docs/protocol.md §4);
    /// the default (its flooding bound is enforced per share pair).
    FastRlwe,
}

impl ProtocolChoice {
    /// The library's name for the choice.
    pub(crate) fn kind(self) -> ProtocolKind {
        match self {
            ProtocolChoice::Reference => ProtocolKind::Reference,
            ProtocolChoice::Fast => ProtocolKind::Fast,
            ProtocolChoice::FastRlwe => ProtocolKind::FastRlwe,
        }
    }
}

/// Garbling scheme (`--scheme`).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum SchemeChoice {
    /// Half-gates: 2κ = 256 bits per AND gate.
    HalfGates,
    /// Three-halves (Rosulek–Roy 2021): 1.5κ + 5 = 197 bits per AND gate, 1.5× the hashing.
    ThreeHalves,
}

impl SchemeChoice {
    /// The runtime's name for the choice.
    pub(crate) fn scheme(self) -> Scheme {
        match self {
            SchemeChoice::HalfGates => Scheme::HalfGates,
            SchemeChoice::ThreeHalves => Scheme::ThreeHalves,
        }
    }
}
