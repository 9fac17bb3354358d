//! The garbling scheme of a run, chosen per run and agreed on at the handshake:
//! [`Scheme::HalfGates`] (Zahur–Rosulek–Evans, 2κ bits per AND, [`crate::garble`]) or
//! [`Scheme::ThreeHalves`] (Rosulek–Roy, 1.5κ + 5 bits per AND, [`crate::three_halves`]).
//! Both keep free XOR and decode outputs by the labels' colour bit, so the two schemes give
//! the same outputs on every circuit; they differ in bytes and hash calls per AND gate.
//!
//! [`SchemeGarbler`] / [`SchemeEvaluator`] hold the engine of either scheme behind one
//! interface for the driver.

use crate::block::{Block, Delta};
use crate::garble::{self, TableSink, TableSource};
use crate::plan::Plan;
use crate::three_halves::{self, MaterialSink, MaterialSource};
use std::fmt;
use std::str::FromStr;

/// A garbling scheme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Half-gates: two 128-bit ciphertexts per AND gate; hash calls 4 (garbler) / 2 (evaluator).
    #[default]
    HalfGates,
    /// Three-halves: three 64-bit halves and 5 control bits per AND gate; hash calls 6 / 3.
    ThreeHalves,
}

impl Scheme {
    /// Both schemes, half-gates first.
    pub const ALL: [Scheme; 2] = [Scheme::HalfGates, Scheme::ThreeHalves];

    /// The scheme's handshake code.
    pub fn code(self) -> u8 {
        match self {
            Scheme::HalfGates => 1,
            Scheme::ThreeHalves => 2,
        }
    }

    /// The scheme of a handshake code, if it is one.
    pub fn from_code(code: u8) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The scheme's command-line name (`half-gates`, `three-halves`).
    pub fn name(self) -> &'static str {
        match self {
            Scheme::HalfGates => "half-gates",
            Scheme::ThreeHalves => "three-halves",
        }
    }

    /// Bytes of garbled material for one instance of a circuit with `ands` AND gates:
    /// `32·n` for half-gates, `24·n + ⌈5n/8⌉` for three-halves.
    pub fn material_bytes(self, ands: usize) -> usize {
        match self {
            Scheme::HalfGates => 32 * ands,
            Scheme::ThreeHalves => three_halves::tables::material_bytes(ands),
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown scheme name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown garbling scheme '{0}' (expected half-gates or three-halves)")]
pub struct UnknownScheme(pub String);

impl FromStr for Scheme {
    type Err = UnknownScheme;
    fn from_str(s: &str) -> Result<Scheme, UnknownScheme> {
        Scheme::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| UnknownScheme(s.to_string()))
    }
}

/// The garbler of either scheme.
pub enum SchemeGarbler {
    /// Half-gates engine.
    HalfGates(garble::Garbler),
    /// Three-halves engine (boxed: it carries its PRG's key schedule).
    ThreeHalves(Box<three_halves::Garbler>),
}

impl SchemeGarbler {
    /// A garbler of `scheme` with offset `delta` and hash start point `start` (three-halves
    /// seeds its per-gate random bits from `rng`).
    pub fn new<R: rand::Rng + ?Sized>(
        scheme: Scheme,
        delta: Delta,
        start: Block,
        rng: &mut R,
    ) -> SchemeGarbler {
        match scheme {
            Scheme::HalfGates => SchemeGarbler::HalfGates(garble::Garbler::new(delta, start)),
            Scheme::ThreeHalves => {
                SchemeGarbler::ThreeHalves(Box::new(three_halves::Garbler::new(delta, start, rng)))
            }
        }
    }

    /// Garbles one instance (see [`garble::Garbler::garble`]); returns the output zero-labels.
    pub fn garble<S, E>(
        &mut self,
        plan: &Plan,
        input_zero_labels: &[Block],
        sink: &mut S,
    ) -> Result<Vec<Block>, E>
    where
        S: TableSink<Error = E> + MaterialSink<Error = E>,
    {
        match self {
            SchemeGarbler::HalfGates(g) => g.garble(plan, input_zero_labels, sink),
            SchemeGarbler::ThreeHalves(g) => g.garble(plan, input_zero_labels, sink),
        }
    }
}

/// The evaluator of either scheme.
pub enum SchemeEvaluator {
    /// Half-gates engine.
    HalfGates(garble::Evaluator),
    /// Three-halves engine.
    ThreeHalves(three_halves::Evaluator),
}

impl SchemeEvaluator {
    /// An evaluator of `scheme` for the session whose hash start point is `start`.
    pub fn new(scheme: Scheme, start: Block) -> SchemeEvaluator {
        match scheme {
            Scheme::HalfGates => SchemeEvaluator::HalfGates(garble::Evaluator::new(start)),
            Scheme::ThreeHalves => {
                SchemeEvaluator::ThreeHalves(three_halves::Evaluator::new(start))
            }
        }
    }

    /// Evaluates one instance (see [`garble::Evaluator::evaluate`]); returns the active
    /// output labels.
    pub fn evaluate<S, E>(
        &mut self,
        plan: &Plan,
        input_labels: &[Block],
        source: &mut S,
    ) -> Result<Vec<Block>, E>
    where
        S: TableSource<Error = E> + MaterialSource<Error = E>,
    {
        match self {
            SchemeEvaluator::HalfGates(e) => e.evaluate(plan, input_labels, source),
            SchemeEvaluator::ThreeHalves(e) => e.evaluate(plan, input_labels, source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip_and_unknown_names_are_refused() {
        for s in Scheme::ALL {
            assert_eq!(s.name().parse::<Scheme>(), Ok(s));
            assert_eq!(Scheme::from_code(s.code()), Some(s));
        }
        assert_eq!(Scheme::from_code(0), None);
        assert_eq!(Scheme::from_code(3), None);
        let e = "half_gates".parse::<Scheme>().expect_err("not a name");
        assert!(e.to_string().contains("half_gates"), "{e}");
        assert_eq!(Scheme::default(), Scheme::HalfGates);
    }

    #[test]
    fn three_halves_material_is_one_and_a_half_kappa_plus_five_bits_per_and() {
        // 197 bits per AND: exact for multiples of 8 gates, under one byte of padding otherwise.
        for n in [8usize, 64, 1 << 20] {
            assert_eq!(Scheme::ThreeHalves.material_bytes(n) * 8, n * (192 + 5));
            assert_eq!(Scheme::HalfGates.material_bytes(n) * 8, n * 256);
        }
        for n in [1usize, 7, 9, 1001] {
            let bits = Scheme::ThreeHalves.material_bytes(n) * 8;
            assert!(bits >= n * 197 && bits < n * 197 + 8, "{n}: {bits}");
        }
    }
}
