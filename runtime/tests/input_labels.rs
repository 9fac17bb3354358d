//! The garbler's input labels are derived, not sent (`runtime/src/driver/input_labels.rs`):
//! the evaluator sends a 16-byte seed after the handshake, both sides expand it into one pad
//! `P` per garbler input bit, the garbler's zero-label is `P ⊕ b·Δ`. Checked here: exact
//! bytes on the channel (the garbler sends per instance its material and decoding bits and
//! nothing per input bit, whatever its input width), correct outputs under both schemes, and
//! the evaluator's view of the garbler's input wires — identical whatever the garbler holds,
//! with negative controls that show the check catches leaky zero-label rules — and, end to
//! end on a circuit without AND gates, the evaluator's whole view (control: revealing the
//! outputs to it). (Outputs against
//! the known answers of the Bristol circuits under both schemes: `bristol_tcp.rs`; random
//! circuits: `schemes.rs`.)

use circuit::{Circuit, Gate, IoValue, Party, ValueFormat};
use gcc_nn_runtime::block::{Block, Delta};
use gcc_nn_runtime::channel::MemChannel;
use gcc_nn_runtime::driver::{
    HANDSHAKE_BYTES, InputPads, Reveal, RunOutput, TwoPartyCircuit, garbler_zero_label,
    run_evaluator_with_scheme, run_garbler_with_scheme,
};
use gcc_nn_runtime::scheme::Scheme;
use gcc_nn_runtime::scripted::RecordingChannel;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;
use std::time::Duration;

/// AND gates (and output bits) of [`parity_and`].
const ANDS: usize = 8;

/// Garbled bytes of one instance of an `n`-AND circuit, written out from the papers (not
/// from the code under test).
fn material(scheme: Scheme, n: usize) -> usize {
    match scheme {
        Scheme::HalfGates => 2 * 16 * n,
        Scheme::ThreeHalves => 3 * 8 * n + (5 * n).div_ceil(8),
    }
}

/// Garbler value `x` of `g` bits, evaluator value `e` of 8 bits; output `y_i = e_i ∧ ⊕x`:
/// the same 8 AND gates and 8 output bits for every `g`.
fn parity_and(g: u32) -> TwoPartyCircuit {
    let value = |name: &str, party, width| IoValue {
        name: name.into(),
        party,
        format: ValueFormat::Unsigned { width, frac: 0 },
    };
    let e0 = g;
    let mut gates = Vec::new();
    let mut parity = 0;
    let mut next = g + 8;
    for w in 1..g {
        gates.push(Gate::Xor {
            a: parity,
            b: w,
            out: next,
        });
        parity = next;
        next += 1;
    }
    let outputs: Vec<u32> = (0..8).map(|i| next + i).collect();
    for (i, &out) in outputs.iter().enumerate() {
        gates.push(Gate::And {
            a: parity,
            b: e0 + i as u32,
            out,
        });
    }
    let c = Circuit {
        inputs: vec![
            value("x", Some(Party::Garbler), g),
            value("e", Some(Party::Evaluator), 8),
        ],
        outputs: vec![value("y", None, 8)],
        num_wires: next + 8,
        gates,
        output_wires: outputs,
    };
    TwoPartyCircuit::new(c).expect("parties")
}

/// One run over memory: both results and the bytes each party received.
struct Ran {
    garbler: RunOutput,
    evaluator: RunOutput,
    garbler_received: Vec<u8>,
    evaluator_received: Vec<u8>,
}

/// One run over memory revealing the outputs to `reveal`; the garbler's randomness from
/// `g_seed`, the evaluator's from a fixed seed.
fn run_with(
    tpc: &TwoPartyCircuit,
    (g_in, e_in): (&[Vec<bool>], &[Vec<bool>]),
    scheme: Scheme,
    reveal: Reveal,
    g_seed: u64,
) -> Ran {
    let (a, b) = MemChannel::pair(Duration::from_secs(60));
    let (tpc_e, e_in) = (tpc.clone(), e_in.to_vec());
    let t = std::thread::spawn(move || {
        let mut ch = RecordingChannel::new(b);
        let mut rng = ChaCha12Rng::seed_from_u64(0xe7a1);
        let out = run_evaluator_with_scheme(&mut ch, &tpc_e, &e_in, reveal, scheme, &mut rng)
            .expect("evaluator");
        (out, ch.into_received())
    });
    let mut ch = RecordingChannel::new(a);
    let mut rng = ChaCha12Rng::seed_from_u64(g_seed);
    let garbler =
        run_garbler_with_scheme(&mut ch, tpc, g_in, reveal, scheme, &mut rng).expect("garbler");
    let garbler_received = ch.into_received();
    let (evaluator, evaluator_received) = t.join().expect("evaluator thread");
    Ran {
        garbler,
        evaluator,
        garbler_received,
        evaluator_received,
    }
}

/// [`run_with`], both learning the outputs: both results and the bytes the evaluator
/// received.
fn run(
    tpc: &TwoPartyCircuit,
    g_in: &[Vec<bool>],
    e_in: &[Vec<bool>],
    scheme: Scheme,
    g_seed: u64,
) -> (RunOutput, RunOutput, Vec<u8>) {
    let r = run_with(tpc, (g_in, e_in), scheme, Reveal::Both, g_seed);
    (r.garbler, r.evaluator, r.evaluator_received)
}

fn random_bits(n: usize, width: usize, rng: &mut ChaCha12Rng) -> Vec<Vec<bool>> {
    (0..n)
        .map(|_| (0..width).map(|_| rng.random()).collect())
        .collect()
}

/// Bytes the garbler sends before any garbled material: its handshake, the hash start
/// point and its 128 base-OT points (compressed Ristretto, 32 bytes each).
const GARBLER_SETUP: usize = HANDSHAKE_BYTES + 16 + 128 * 32;

#[test]
fn the_garbler_sends_no_bytes_per_input_bit_under_either_scheme() {
    let mut rng = ChaCha12Rng::seed_from_u64(18);
    for scheme in Scheme::ALL {
        for n in [1usize, 3] {
            let mut evaluator_sent = Vec::new();
            for g in [1u32, 8, 80, 257] {
                let tpc = parity_and(g);
                let g_in = random_bits(n, g as usize, &mut rng);
                let e_in = random_bits(n, 8, &mut rng);
                let (go, eo, received) = run(&tpc, &g_in, &e_in, scheme, 5);
                let want: Vec<Vec<bool>> = g_in
                    .iter()
                    .zip(&e_in)
                    .map(|(x, e)| {
                        let p = x.iter().fold(false, |a, &b| a ^ b);
                        e.iter().map(|&ei| ei & p).collect()
                    })
                    .collect();
                assert_eq!(eo.outputs.as_ref(), Some(&want), "{scheme} g={g} n={n}");
                assert_eq!(go.outputs.as_ref(), Some(&want), "{scheme} g={g} n={n}");
                // Per instance: the material and one byte of decoding bits (8 outputs). The
                // previous driver sent 16·g bytes more per instance (the labels).
                let exact = GARBLER_SETUP + n * (material(scheme, ANDS) + 1);
                assert_eq!(go.stats.bytes_sent as usize, exact, "{scheme} g={g} n={n}");
                assert_eq!(received.len(), exact, "what the evaluator received");
                assert_eq!(eo.stats.bytes_received as usize, exact);
                evaluator_sent.push(eo.stats.bytes_sent);
            }
            // The evaluator's traffic (handshake, seed, base OT, OT rows, output bits) does
            // not depend on the garbler's input width either.
            assert!(
                evaluator_sent.windows(2).all(|w| w[0] == w[1]),
                "{scheme} n={n}: {evaluator_sent:?}"
            );
        }
    }
}

#[test]
fn after_the_same_setup_bytes_only_material_and_decoding_bits_reach_the_evaluator() {
    // Same randomness on both sides, different garbler inputs: everything the evaluator
    // receives before the garbled tables is identical, and after it only the material and
    // the decoding bits follow (no message carries the garbler's inputs).
    let tpc = parity_and(80);
    let e_in = vec![vec![true; 8]; 2];
    for scheme in Scheme::ALL {
        let views: Vec<Vec<u8>> = [false, true]
            .iter()
            .map(|&b| {
                let g_in = vec![vec![b; 80], vec![!b; 80]];
                run(&tpc, &g_in, &e_in, scheme, 9).2
            })
            .collect();
        assert_eq!(
            views[0][..GARBLER_SETUP],
            views[1][..GARBLER_SETUP],
            "{scheme}"
        );
        for v in &views {
            assert_eq!(v.len(), GARBLER_SETUP + 2 * (material(scheme, ANDS) + 1));
        }
    }
}

/// The evaluator's view of the garbler's input wires of one instance under a zero-label
/// rule: the active labels `W⁰ ⊕ b·Δ` (what it evaluates with).
fn active_labels(
    rule: impl Fn(Block, bool, &Delta) -> Block,
    pads: &[Block],
    bits: &[bool],
    delta: &Delta,
) -> Vec<Block> {
    pads.iter()
        .zip(bits)
        .map(|(&p, &b)| rule(p, b, delta) ^ (Block::mask(b) & delta.block()))
        .collect()
}

/// What an evaluator who knows the pads and the public constant `k` guesses for the
/// garbler's bits from its view: a colour bit that differs from the pad's, or a label equal
/// to `pad ⊕ k`.
fn guess(view: &[Block], pads: &[Block], k: Block) -> Vec<bool> {
    view.iter()
        .zip(pads)
        .map(|(&v, &p)| (v ^ p).lsb() || v ^ p == k)
        .collect()
}

#[test]
fn the_evaluators_active_garbler_labels_do_not_depend_on_the_garbler() {
    let seed = Block(0x5eed_0000_1111_2222_3333_4444_5555_6666);
    let g = 80;
    let k = Block(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef) & Block(!1);
    // Leaky variants: a zero-label that makes the active label `P ⊕ b·k` (k public), and a
    // garbler that ignores its bit (`W⁰ = P`, so the active label is `P ⊕ b·Δ`).
    let leaky_k = move |p: Block, b: bool, d: &Delta| p ^ (Block::mask(b) & (d.block() ^ k));
    let leaky_delta = |p: Block, _b: bool, _d: &Delta| p;
    let mut rng = ChaCha12Rng::seed_from_u64(3);
    let mut pads = InputPads::new(seed);
    for instance in 0..3 {
        let mut p = vec![Block::ZERO; g];
        pads.next_instance(&mut p);
        // Garbler worlds: random bits and Δ, plus the all-zero and all-one inputs.
        let mut worlds: Vec<(Vec<bool>, Delta)> = (0..4)
            .map(|_| {
                let bits = (0..g).map(|_| rng.random()).collect();
                (bits, Delta::random(&mut rng))
            })
            .collect();
        worlds.push((vec![false; g], Delta::random(&mut rng)));
        worlds.push((vec![true; g], Delta::random(&mut rng)));
        let real: Vec<Vec<Block>> = worlds
            .iter()
            .map(|(b, d)| active_labels(garbler_zero_label, &p, b, d))
            .collect();
        for view in &real {
            assert_eq!(
                view, &p,
                "instance {instance}: the active labels are the pads"
            );
            assert_eq!(guess(view, &p, k), vec![false; g], "nothing to guess from");
        }
        // The controls: the same check sees the views differ and the bits recovered.
        for (name, leaky) in [
            (
                "P xor b*k",
                &leaky_k as &dyn Fn(Block, bool, &Delta) -> Block,
            ),
            ("W0 = P", &leaky_delta),
        ] {
            let views: Vec<Vec<Block>> = worlds
                .iter()
                .map(|(b, d)| active_labels(leaky, &p, b, d))
                .collect();
            assert!(views.windows(2).any(|w| w[0] != w[1]), "{name}");
            for (view, (bits, _)) in views.iter().zip(&worlds) {
                assert_eq!(&guess(view, &p, k), bits, "{name}: the bits leak");
            }
        }
    }
}

/// Garbler value `x` of `g` bits output as it is (no gate); an unused evaluator bit.
fn identity(g: u32) -> TwoPartyCircuit {
    let value = |name: &str, party, width| IoValue {
        name: name.into(),
        party,
        format: ValueFormat::Unsigned { width, frac: 0 },
    };
    let c = Circuit {
        inputs: vec![
            value("x", Some(Party::Garbler), g),
            value("e", Some(Party::Evaluator), 1),
        ],
        outputs: vec![value("y", None, g)],
        num_wires: g + 1,
        gates: Vec::new(),
        output_wires: (0..g).collect(),
    };
    TwoPartyCircuit::new(c).expect("parties")
}

#[test]
fn the_evaluators_whole_view_of_an_and_free_circuit_is_the_same_whatever_the_garbler_holds() {
    // y = x with the output revealed to the garbler only: the evaluator receives the
    // handshake, the start point and the base OT (no tables: no AND gates), and its output
    // labels are its active input labels, so the colour bits it returns are theirs. Same
    // randomness on both sides, different garbler inputs: its whole view (what it receives
    // and what it sends back) is identical, and the colour bits are those of the pads of the
    // seed it sent. Negative control: revealing y to the evaluator adds the decoding bits
    // (lsb(W⁰) = lsb(P) ⊕ x), and the same comparison sees the views differ.
    let g = 80;
    let tpc = identity(g as u32);
    let e_in = vec![vec![false]; 2];
    let mut rng = ChaCha12Rng::seed_from_u64(11);
    let inputs: Vec<Vec<Vec<bool>>> = vec![
        vec![vec![false; g], vec![false; g]],
        vec![vec![true; g], vec![false; g]],
        random_bits(2, g, &mut rng),
    ];
    for scheme in Scheme::ALL {
        let hidden: Vec<Ran> = inputs
            .iter()
            .map(|x| run_with(&tpc, (x, &e_in), scheme, Reveal::Garbler, 4))
            .collect();
        for (r, x) in hidden.iter().zip(&inputs) {
            assert_eq!(r.garbler.outputs.as_ref(), Some(x), "{scheme}: y = x");
            assert_eq!(
                r.evaluator_received, hidden[0].evaluator_received,
                "{scheme}"
            );
            assert_eq!(r.evaluator_received.len(), GARBLER_SETUP, "{scheme}");
            assert_eq!(
                r.evaluator.stats.bytes_sent, hidden[0].evaluator.stats.bytes_sent,
                "{scheme}"
            );
            // The evaluator's last message: its colour bits, the pads' lsbs.
            let seed_at = HANDSHAKE_BYTES + 4;
            let mut seed = [0u8; 16];
            seed.copy_from_slice(&r.garbler_received[seed_at..seed_at + 16]);
            let mut pads = InputPads::new(Block::from_bytes(seed));
            let mut lsbs = Vec::new();
            for _ in 0..2 {
                let mut p = vec![Block::ZERO; g];
                pads.next_instance(&mut p);
                lsbs.extend(p.iter().map(|b| b.lsb()));
            }
            let colour = &r.garbler_received[r.garbler_received.len() - 2 * g / 8..];
            let bits: Vec<bool> = (0..2 * g)
                .map(|i| colour[i / 8] >> (i % 8) & 1 == 1)
                .collect();
            assert_eq!(bits, lsbs, "{scheme}: the evaluator's labels are the pads");
            assert_eq!(
                colour,
                &hidden[0].garbler_received[hidden[0].garbler_received.len() - 2 * g / 8..]
            );
        }
        let revealed: Vec<Vec<u8>> = inputs
            .iter()
            .map(|x| run_with(&tpc, (x, &e_in), scheme, Reveal::Evaluator, 4).evaluator_received)
            .collect();
        assert_ne!(revealed[0], revealed[1], "{scheme}: the control sees x");
        assert_ne!(revealed[0], revealed[2], "{scheme}: the control sees x");
    }
}
