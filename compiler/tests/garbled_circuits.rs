//! The project's own circuits (circuits/*.dsl, compiled on the fly): garbled evaluation of
//! thousands of random inputs, run as one batch, equals the plaintext simulation.

use compiler::Party;
use gcc_nn_compiler as compiler;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;
use runtime::channel::MemChannel;
use runtime::driver::{Reveal, TwoPartyCircuit, run_evaluator, run_garbler};
use std::time::Duration;

const CIRCUITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../circuits");

#[test]
fn every_dsl_circuit_batch_matches_simulation() {
    let mut files: Vec<_> = std::fs::read_dir(CIRCUITS)
        .expect("circuits/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dsl"))
        .collect();
    files.sort();
    assert!(
        files.iter().any(|p| p.ends_with("tanh.dsl")),
        "tanh.dsl is among {files:?}"
    );
    let mut rng = ChaCha12Rng::seed_from_u64(21);
    for path in files {
        let circuit = compiler::compile_file(&path, &compiler::CompileOptions::default())
            .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.render()));
        let tpc =
            TwoPartyCircuit::new(circuit).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let n = 2000;
        // Random wire-order inputs, split by owner.
        let wires: Vec<Vec<bool>> = (0..n)
            .map(|_| {
                (0..tpc.circuit().num_input_wires())
                    .map(|_| rng.random())
                    .collect()
            })
            .collect();
        let owner: Vec<Party> = (0..tpc.circuit().inputs.len())
            .flat_map(|i| {
                std::iter::repeat_n(
                    tpc.parties()[i],
                    tpc.circuit().inputs[i].format.width() as usize,
                )
            })
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
        let (g_in, e_in) = (split(Party::Garbler), split(Party::Evaluator));
        let (mut a, mut b) = MemChannel::pair(Duration::from_secs(60));
        let tpc_e = tpc.clone();
        let t = std::thread::spawn(move || {
            let mut rng = ChaCha12Rng::seed_from_u64(2);
            run_evaluator(&mut b, &tpc_e, &e_in, Reveal::Both, &mut rng).expect("evaluator")
        });
        let g = run_garbler(&mut a, &tpc, &g_in, Reveal::Both, &mut rng).expect("garbler");
        let e = t.join().expect("evaluator thread");
        let expected: Vec<Vec<bool>> = wires.iter().map(|w| tpc.circuit().simulate(w)).collect();
        assert_eq!(e.outputs.as_ref(), Some(&expected), "{}", path.display());
        assert_eq!(g.outputs.as_ref(), Some(&expected), "{}", path.display());
        assert_eq!(e.stats.ots as usize, n * tpc.evaluator_input_bits());
    }
}
