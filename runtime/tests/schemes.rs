//! Half-gates and three-halves side by side: the same circuits give the same outputs (equal
//! to the plaintext simulation) under both schemes — every shipped DSL circuit
//! (`circuits/*.dsl`), the activation wrappers the protocols garble, random circuits
//! (proptest); the bytes on the channel per AND gate are exactly the scheme's; a peer
//! garbling with the other scheme is refused at the handshake. (The Bristol known answers
//! run under both schemes in `bristol_tcp.rs`.)

use activation::{Activation, MaskedParams, SharesParams};
use circuit::{Circuit, Gate, IoValue, Party, ValueFormat};
use gcc_nn_runtime::channel::MemChannel;
use gcc_nn_runtime::driver::{
    DriverError, Reveal, RunOutput, TwoPartyCircuit, run_evaluator_with_scheme,
    run_garbler_with_scheme,
};
use gcc_nn_runtime::scheme::Scheme;
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;
use std::time::Duration;

const CIRCUITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../circuits");

/// One run over an in-memory channel pair; both learn the outputs.
fn run_mem(
    tpc: &TwoPartyCircuit,
    g_in: &[Vec<bool>],
    e_in: &[Vec<bool>],
    g_scheme: Scheme,
    e_scheme: Scheme,
) -> (
    Result<RunOutput, DriverError>,
    Result<RunOutput, DriverError>,
) {
    let (mut a, mut b) = MemChannel::pair(Duration::from_secs(60));
    let (tpc_e, e_in) = (tpc.clone(), e_in.to_vec());
    let t = std::thread::spawn(move || {
        let mut rng = ChaCha12Rng::seed_from_u64(2);
        run_evaluator_with_scheme(&mut b, &tpc_e, &e_in, Reveal::Both, e_scheme, &mut rng)
    });
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let g = run_garbler_with_scheme(&mut a, tpc, g_in, Reveal::Both, g_scheme, &mut rng);
    drop(a);
    (g, t.join().expect("evaluator thread"))
}

/// Random wire-order inputs for `n` instances, split by owner; with the expected outputs.
type Split = (Vec<Vec<bool>>, Vec<Vec<bool>>, Vec<Vec<bool>>);

fn random_instances(tpc: &TwoPartyCircuit, n: usize, rng: &mut ChaCha12Rng) -> Split {
    let c = tpc.circuit();
    let owner: Vec<Party> = (0..c.inputs.len())
        .flat_map(|i| std::iter::repeat_n(tpc.parties()[i], c.inputs[i].format.width() as usize))
        .collect();
    let wires: Vec<Vec<bool>> = (0..n)
        .map(|_| (0..c.num_input_wires()).map(|_| rng.random()).collect())
        .collect();
    let split = |p: Party| -> Vec<Vec<bool>> {
        wires
            .iter()
            .map(|w| {
                w.iter()
                    .zip(&owner)
                    .filter(|(_, o)| **o == p)
                    .map(|(b, _)| *b)
                    .collect()
            })
            .collect()
    };
    let expected = wires.iter().map(|w| c.simulate(w)).collect();
    (split(Party::Garbler), split(Party::Evaluator), expected)
}

/// Both schemes on the same instances: outputs equal the simulation on both sides.
fn both_schemes_agree(name: &str, tpc: &TwoPartyCircuit, n: usize, rng: &mut ChaCha12Rng) {
    let (g_in, e_in, expected) = random_instances(tpc, n, rng);
    for scheme in Scheme::ALL {
        let (g, e) = run_mem(tpc, &g_in, &e_in, scheme, scheme);
        let (g, e) = (g.expect("garbler"), e.expect("evaluator"));
        assert_eq!(e.outputs.as_ref(), Some(&expected), "{name} {scheme}");
        assert_eq!(g.outputs.as_ref(), Some(&expected), "{name} {scheme}");
        assert_eq!(e.stats.ands, (n * tpc.and_count()) as u64);
    }
}

#[test]
fn every_dsl_circuit_gives_the_same_outputs_under_both_schemes() {
    let mut files: Vec<_> = std::fs::read_dir(CIRCUITS)
        .expect("circuits/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dsl"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "shipped circuits: {files:?}");
    let mut rng = ChaCha12Rng::seed_from_u64(51);
    for path in files {
        let c = compiler::compile_file(&path, &compiler::CompileOptions::default())
            .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.render()));
        let tpc = TwoPartyCircuit::new(c).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        both_schemes_agree(&path.display().to_string(), &tpc, 200, &mut rng);
    }
}

#[test]
fn activation_wrappers_give_the_same_outputs_under_both_schemes() {
    let mut rng = ChaCha12Rng::seed_from_u64(52);
    for (name, _, _) in activation::SHIPPED {
        let act = Activation::shipped(name).expect("shipped activation");
        let shares = act
            .shares_circuit(&SharesParams::default())
            .expect("shares wrapper");
        let tpc = TwoPartyCircuit::new((*shares).clone()).expect("parties");
        both_schemes_agree(&format!("{name} on shares"), &tpc, 100, &mut rng);
    }
    let masked = Activation::shipped("tanh")
        .and_then(|a| a.masked_circuit(&MaskedParams::default()))
        .expect("masked wrapper");
    let tpc = TwoPartyCircuit::new((*masked).clone()).expect("parties");
    both_schemes_agree("masked tanh*", &tpc, 100, &mut rng);
}

fn bit(name: &str, party: Option<Party>) -> IoValue {
    IoValue {
        name: name.into(),
        party,
        format: ValueFormat::Bool,
    }
}

/// Garbler bit `a`, evaluator bit `b`; `ands` dependent AND gates (`w ← w ∧ b`, from
/// `w = a`), or `a ⊕ b` when `ands` is 0 — the same inputs and outputs for every `ands`.
fn chain(ands: u32) -> TwoPartyCircuit {
    let mut gates = vec![Gate::Xor { a: 0, b: 1, out: 2 }];
    let mut w = 0;
    for k in 0..ands {
        gates.push(Gate::And {
            a: w,
            b: 1,
            out: 3 + k,
        });
        w = 3 + k;
    }
    let out = if ands == 0 { 2 } else { w };
    let c = Circuit {
        inputs: vec![
            bit("a", Some(Party::Garbler)),
            bit("b", Some(Party::Evaluator)),
        ],
        outputs: vec![bit("y", None)],
        num_wires: 3 + ands,
        gates,
        output_wires: vec![out],
    };
    TwoPartyCircuit::new(c).expect("parties")
}

#[test]
fn bytes_on_the_channel_per_and_gate_are_exactly_the_schemes() {
    // Everything but the garbled material (handshake, start point, base OTs, the IKNP
    // extension for the evaluator's bits, the input-label seed, the decoding bits) is
    // the same for every AND count: the difference to the 0-AND circuit is the material,
    // per instance 32·n bytes (half-gates) or 24·n + ⌈5n/8⌉ (three-halves: 197 bits per
    // AND, the last unit of 8 gates padded to a byte).
    let instances = 3usize;
    let g_in = vec![vec![true]; instances];
    let e_in = vec![vec![true]; instances];
    for scheme in Scheme::ALL {
        let sent = |ands: u32| {
            let (g, e) = run_mem(&chain(ands), &g_in, &e_in, scheme, scheme);
            let (g, e) = (g.expect("garbler"), e.expect("evaluator"));
            // a ∧ b ∧ … = 1 for a = b = 1; the 0-AND circuit gives a ⊕ b = 0.
            assert_eq!(
                e.outputs,
                Some(vec![vec![ands > 0]; instances]),
                "{scheme} {ands}"
            );
            g.stats.bytes_sent
        };
        let base = sent(0);
        for n in [1usize, 8, 13, 1000, 4096] {
            let per_instance = (sent(n as u32) - base) as usize / instances;
            assert_eq!(per_instance, scheme.material_bytes(n), "{scheme}, {n} ANDs");
            match scheme {
                Scheme::HalfGates => assert_eq!(per_instance * 8, n * 256),
                Scheme::ThreeHalves => {
                    let bits = per_instance * 8;
                    assert!(bits >= n * 197 && bits < n * 197 + 8, "{n}: {bits} bits");
                    if n % 8 == 0 {
                        assert_eq!(bits, n * (3 * 64 + 5), "1.5κ + 5 bits per AND");
                    }
                }
            }
        }
    }
}

#[test]
fn a_peer_with_the_other_scheme_is_refused_at_the_handshake() {
    let tpc = chain(4);
    for (gs, es) in [
        (Scheme::ThreeHalves, Scheme::HalfGates),
        (Scheme::HalfGates, Scheme::ThreeHalves),
    ] {
        let (g, e) = run_mem(&tpc, &[vec![true]], &[vec![false]], gs, es);
        for (side, r, ours, theirs) in [("garbler", g, gs, es), ("evaluator", e, es, gs)] {
            match r {
                Err(DriverError::SchemeMismatch { ours: o, theirs: t }) => {
                    assert_eq!((o, t), (ours, theirs.code()), "{side}");
                    let msg = DriverError::SchemeMismatch { ours: o, theirs: t }.to_string();
                    assert!(
                        msg.contains(theirs.name()) && msg.contains(ours.name()),
                        "{msg}"
                    );
                }
                other => panic!("{side}: expected a scheme mismatch, got {other:?}"),
            }
        }
    }
}

fn arb_circuit() -> impl Strategy<Value = (Circuit, Vec<Party>, Vec<bool>)> {
    (1u32..12, 1u32..400, any::<u64>()).prop_map(|(n_in, n_gates, seed)| {
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        let mut gates = Vec::new();
        for k in 0..n_gates {
            let w = n_in + k;
            let (a, b) = (rng.random_range(0..w), rng.random_range(0..w));
            gates.push(match rng.random_range(0..3) {
                0 => Gate::Xor { a, b, out: w },
                1 => Gate::And { a, b, out: w },
                _ => Gate::Inv { a, out: w },
            });
        }
        let total = n_in + n_gates;
        let c = Circuit {
            inputs: (0..n_in).map(|i| bit(&format!("x{i}"), None)).collect(),
            outputs: (0..8).map(|i| bit(&format!("y{i}"), None)).collect(),
            num_wires: total,
            gates,
            output_wires: (0..8).map(|_| rng.random_range(0..total)).collect(),
        };
        let parties = (0..n_in)
            .map(|_| {
                if rng.random() {
                    Party::Garbler
                } else {
                    Party::Evaluator
                }
            })
            .collect();
        let inputs = (0..n_in).map(|_| rng.random()).collect();
        (c, parties, inputs)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_circuits_agree_under_both_schemes((c, parties, wires) in arb_circuit()) {
        let expected = c.simulate(&wires);
        let tpc = TwoPartyCircuit::with_parties(c, parties.clone()).expect("valid");
        let pick = |p: Party| -> Vec<bool> {
            wires.iter().zip(&parties).filter(|(_, o)| **o == p).map(|(b, _)| *b).collect()
        };
        let (g_in, e_in) = (vec![pick(Party::Garbler)], vec![pick(Party::Evaluator)]);
        for scheme in Scheme::ALL {
            let (g, e) = run_mem(&tpc, &g_in, &e_in, scheme, scheme);
            let e = e.expect("evaluator");
            prop_assert_eq!(e.outputs, Some(vec![expected.clone()]), "{}", scheme);
            prop_assert!(g.is_ok());
        }
    }
}
