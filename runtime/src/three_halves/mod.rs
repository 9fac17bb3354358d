//! Three-halves garbling (Rosulek–Roy, "Three Halves Make a Whole? Beating the Half-Gates
//! Lower Bound for Garbled Circuits", CRYPTO 2021): free XOR, and 1.5κ + 5 bits per AND
//! gate (three 64-bit halves and 5 control bits: 197 bits instead of half-gates' 256).
//!
//! Labels are sliced into halves; the evaluator combines the halves of its two input labels
//! with a 2×4 control matrix that the garbler picks at random among a few per colour pair
//! ("dicing": the matrix it reveals is independent of the permute bits), and decrypts the
//! matrix's 2 control bits from the 5 sent bits. Per AND gate the garbler calls the hash 6
//! times and the evaluator 3 times (half-gates: 4 and 2). The algebra: [`tables`]; the
//! engines: [`Garbler`], [`Evaluator`] (sans-IO, the same plan and batching as
//! [`crate::garble`]); the material travels through a [`MaterialSink`] / [`MaterialSource`].
//!
//! # The hash and the property the proof needs
//! The paper proves privacy assuming `H` is a *tweakable circular correlation-robust* hash
//! in a form adapted to slicing: for a secret Δ (lsb 1), an oracle answering
//! `O(X, τ, L) = H(X ⊕ Δ, τ) ⊕ L(Δ_L, Δ_R)` — `L` a linear map of Δ's halves, as the
//! control matrices produce — must look random, as long as each tweak `τ` is used for one
//! pair `{X, X ⊕ Δ}` only. Every garbled half `G_k` and control bit is masked by one such
//! oracle value (the hash of the label the evaluator does not hold).
//!
//! Our `H` is the session's multi-instance TCCR of [`crate::tccr`]:
//! `H(x, τ) = AES_{S⊕τ}(x) ⊕ x` (re-keyed per tweak; `S` the garbler's public random start
//! point), truncated to its low 64 bits (the label half) and bit 64 (the control-bit mask).
//! Tweaks are unique per hashed pair: gate `g` (a counter over every instance of a session)
//! uses `3g` for `{A₀, A₁}`, `3g+1` for `{B₀, B₁}` and `3g+2` for `{A₀⊕B₀, A₀⊕B₁}`; the
//! garbler hashes both members of each pair, the evaluator one. How it meets the property:
//! in the ideal-cipher model (GKWY20's setting for this construction) `AES_{S⊕τ}(X ⊕ Δ)` is a
//! fresh uniform block unless the adversary queried the cipher under key `S⊕τ` at `X ⊕ Δ`,
//! which needs Δ (127 unknown bits); adding any function of `X` and Δ — here `X ⊕ Δ` and
//! `L(Δ)` — and truncating keep it uniform, so the oracle is indistinguishable from random
//! up to GKWY20's multi-instance bound (each key sees two inputs, so no per-key permutation
//! collisions to account for beyond that). The same argument covers the control-bit masks.
//!
//! An AND gate whose two inputs are the same wire hashes `A ⊕ B = 0` under tweak `3g+2`:
//! still correct (the tests run such gates), and the compiler never emits `x ∧ x`.

mod evaluator;
mod garbler;
pub mod tables;

pub use evaluator::Evaluator;
pub use garbler::Garbler;

/// Where the garbler puts garbled material (bytes, units of 8 gates; see [`tables`]).
pub trait MaterialSink {
    /// Error raised by the sink (e.g. a channel error).
    type Error;
    /// Accepts the next bytes.
    fn put_material(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;
}

/// Where the evaluator gets the material from, in the order the garbler produced it.
pub trait MaterialSource {
    /// Error raised by the source (e.g. a channel error, a truncated stream).
    type Error;
    /// Fills `out` with the next bytes.
    fn get_material(&mut self, out: &mut [u8]) -> Result<(), Self::Error>;
}

/// A sink keeping the material in memory (tests and benches).
impl MaterialSink for Vec<u8> {
    type Error = std::convert::Infallible;
    fn put_material(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// A source reading material from a byte slice; running out is an error.
pub struct ByteSource<'a> {
    bytes: &'a [u8],
}

impl<'a> ByteSource<'a> {
    /// A source over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        ByteSource { bytes }
    }
}

impl MaterialSource for ByteSource<'_> {
    type Error = crate::garble::TablesExhausted;
    fn get_material(&mut self, out: &mut [u8]) -> Result<(), Self::Error> {
        if self.bytes.len() < out.len() {
            return Err(crate::garble::TablesExhausted);
        }
        let (head, tail) = self.bytes.split_at(out.len());
        out.copy_from_slice(head);
        self.bytes = tail;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::tables::material_bytes;
    use super::*;
    use crate::block::{Block, Delta};
    use crate::garble::TablesExhausted;
    use crate::plan::Plan;
    use circuit::{Circuit, Gate, IoValue, ValueFormat};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    fn random_circuit(rng: &mut ChaCha12Rng, n_in: u32, n_gates: u32, n_out: u32) -> Circuit {
        crate::garble::tests::random_circuit(rng, n_in, n_gates, n_out)
    }

    /// Garbles and evaluates `inputs.len()` instances one after the other on one engine
    /// pair (so gate ids keep counting across instances); returns the decoded outputs.
    fn run(c: &Circuit, instances: &[Vec<bool>], rng: &mut ChaCha12Rng) -> Vec<Vec<bool>> {
        let plan = Plan::new(c).expect("valid circuit");
        let delta = Delta::random(rng);
        let start = Block::random(rng);
        let mut g = Garbler::new(delta.clone(), start, rng);
        let mut e = Evaluator::new(start);
        let mut bytes = Vec::new();
        let mut zeros_all = Vec::new();
        let mut outs0 = Vec::new();
        for _ in instances {
            let zeros: Vec<Block> = (0..plan.input_slots.len())
                .map(|_| Block::random(rng))
                .collect();
            let before = bytes.len();
            outs0.push(g.garble(&plan, &zeros, &mut bytes).expect("infallible"));
            assert_eq!(bytes.len() - before, material_bytes(plan.and_count));
            zeros_all.push(zeros);
        }
        let mut src = ByteSource::new(&bytes);
        let mut result = Vec::new();
        for ((bits, zeros), out0) in instances.iter().zip(&zeros_all).zip(&outs0) {
            let active: Vec<Block> = zeros
                .iter()
                .zip(bits)
                .map(|(&z, &b)| z ^ (Block::mask(b) & delta.block()))
                .collect();
            let out = e.evaluate(&plan, &active, &mut src).expect("material");
            result.push(
                out.iter()
                    .zip(out0)
                    .map(|(&a, &z)| {
                        assert!(a == z || a == z ^ delta.block(), "not an output label");
                        a == z ^ delta.block()
                    })
                    .collect(),
            );
        }
        result
    }

    #[test]
    fn random_circuits_match_plaintext_simulation_across_instances() {
        let mut rng = ChaCha12Rng::seed_from_u64(41);
        for round in 0..30 {
            let n_in = rng.random_range(1..20);
            let n_gates = rng.random_range(1..2000);
            let c = random_circuit(&mut rng, n_in, n_gates, 16);
            let inputs: Vec<Vec<bool>> = (0..3)
                .map(|_| (0..n_in).map(|_| rng.random()).collect())
                .collect();
            let expected: Vec<Vec<bool>> = inputs.iter().map(|i| c.simulate(i)).collect();
            assert_eq!(run(&c, &inputs, &mut rng), expected, "round {round}");
        }
    }

    #[test]
    fn and_of_a_wire_with_itself_and_a_dependent_chain() {
        let bit = |n: &str| IoValue {
            name: n.into(),
            party: None,
            format: ValueFormat::Bool,
        };
        // y0 = a ∧ a, then a chain of 11 dependent ANDs (flushes of one gate, 2 units).
        let mut gates = vec![Gate::And { a: 0, b: 0, out: 2 }];
        for k in 0..11 {
            gates.push(Gate::And {
                a: 2 + k,
                b: 1,
                out: 3 + k,
            });
        }
        let c = Circuit {
            inputs: vec![bit("a"), bit("b")],
            outputs: vec![bit("y0"), bit("y1")],
            num_wires: 14,
            gates,
            output_wires: vec![2, 13],
        };
        let mut rng = ChaCha12Rng::seed_from_u64(42);
        for _ in 0..16 {
            for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
                assert_eq!(run(&c, &[vec![a, b]], &mut rng), vec![vec![a, a & b]]);
            }
        }
    }

    #[test]
    fn truncated_material_is_an_error() {
        let mut rng = ChaCha12Rng::seed_from_u64(43);
        let c = random_circuit(&mut rng, 8, 500, 4);
        let plan = Plan::new(&c).expect("valid");
        let mut bytes = Vec::new();
        Garbler::new(Delta::random(&mut rng), Block(9), &mut rng)
            .garble(&plan, &[Block::ZERO; 8], &mut bytes)
            .expect("infallible");
        let short = &bytes[..bytes.len() - 1];
        let r = Evaluator::new(Block(9)).evaluate(
            &plan,
            &[Block::ZERO; 8],
            &mut ByteSource::new(short),
        );
        assert_eq!(r, Err(TablesExhausted));
    }
}
