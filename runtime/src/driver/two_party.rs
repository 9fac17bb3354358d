//! A circuit ready for a two-party run: every input value owned by a party, the plan, the
//! wires each party supplies, and the hash both sides compare at the handshake.

use super::DriverError;
use crate::plan::Plan;
use circuit::{Circuit, Party};
use sha2::{Digest, Sha256};

/// A circuit whose every input value is owned by a party, with its plan and hash.
#[derive(Clone, Debug)]
pub struct TwoPartyCircuit {
    pub(super) circuit: Circuit,
    pub(super) parties: Vec<Party>,
    pub(super) plan: Plan,
    pub(super) hash: [u8; 32],
    pub(super) garbler_wires: Vec<usize>,
    pub(super) evaluator_wires: Vec<usize>,
}

impl TwoPartyCircuit {
    /// Uses the parties recorded in the circuit's inputs (error if one is missing).
    pub fn new(circuit: Circuit) -> Result<TwoPartyCircuit, DriverError> {
        let parties = circuit
            .inputs
            .iter()
            .map(|v| {
                v.party.ok_or_else(|| DriverError::UnassignedInput {
                    name: v.name.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        TwoPartyCircuit::with_parties(circuit, parties)
    }

    /// Assigns input value `i` to `parties[i]` (for Bristol files, whose inputs carry no party).
    pub fn with_parties(
        mut circuit: Circuit,
        parties: Vec<Party>,
    ) -> Result<TwoPartyCircuit, DriverError> {
        if parties.len() != circuit.inputs.len() {
            return Err(DriverError::PartyMapLength {
                expected: circuit.inputs.len(),
                got: parties.len(),
            });
        }
        for (v, &p) in circuit.inputs.iter_mut().zip(&parties) {
            v.party = Some(p);
        }
        let plan = Plan::new(&circuit)?;
        let (mut garbler_wires, mut evaluator_wires) = (Vec::new(), Vec::new());
        for (i, &p) in parties.iter().enumerate() {
            let range = circuit.input_range(i);
            let wires = range.map(|w| w as usize);
            match p {
                Party::Garbler => garbler_wires.extend(wires),
                Party::Evaluator => evaluator_wires.extend(wires),
            }
        }
        let hash = circuit_hash(&circuit);
        Ok(TwoPartyCircuit {
            circuit,
            parties,
            plan,
            hash,
            garbler_wires,
            evaluator_wires,
        })
    }

    /// The circuit.
    pub fn circuit(&self) -> &Circuit {
        &self.circuit
    }

    /// Owner of each input value.
    pub fn parties(&self) -> &[Party] {
        &self.parties
    }

    /// SHA-256 of the circuit and its party map (compared at the handshake).
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// AND gates per instance.
    pub fn and_count(&self) -> usize {
        self.plan.and_count
    }

    /// Input bits the garbler supplies per instance (its values in input order, LSB-first).
    pub fn garbler_input_bits(&self) -> usize {
        self.garbler_wires.len()
    }

    /// Input bits the evaluator supplies per instance (one correlated OT each).
    pub fn evaluator_input_bits(&self) -> usize {
        self.evaluator_wires.len()
    }

    /// Output bits per instance.
    pub fn output_bits(&self) -> usize {
        self.circuit.output_wires.len()
    }
}

/// SHA-256 over a canonical encoding of the circuit, including input owners.
pub fn circuit_hash(c: &Circuit) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"gcc-nn circuit v1");
    h.update(c.num_wires.to_le_bytes());
    let fmt = |h: &mut Sha256, v: &circuit::IoValue| {
        h.update((v.name.len() as u64).to_le_bytes());
        h.update(v.name.as_bytes());
        h.update([match v.party {
            None => 0u8,
            Some(Party::Garbler) => 1,
            Some(Party::Evaluator) => 2,
        }]);
        let (tag, w, f) = match v.format {
            circuit::ValueFormat::Bool => (0u8, 1, 0),
            circuit::ValueFormat::Signed { width, frac } => (1, width, frac),
            circuit::ValueFormat::Unsigned { width, frac } => (2, width, frac),
        };
        h.update([tag]);
        h.update(w.to_le_bytes());
        h.update(f.to_le_bytes());
    };
    h.update((c.inputs.len() as u64).to_le_bytes());
    for v in &c.inputs {
        fmt(&mut h, v);
    }
    h.update((c.outputs.len() as u64).to_le_bytes());
    for v in &c.outputs {
        fmt(&mut h, v);
    }
    h.update((c.gates.len() as u64).to_le_bytes());
    for g in &c.gates {
        let (t, a, b, o) = match *g {
            circuit::Gate::Xor { a, b, out } => (0u8, a, b, out),
            circuit::Gate::And { a, b, out } => (1, a, b, out),
            circuit::Gate::Inv { a, out } => (2, a, a, out),
        };
        h.update([t]);
        h.update(a.to_le_bytes());
        h.update(b.to_le_bytes());
        h.update(o.to_le_bytes());
    }
    for w in &c.output_wires {
        h.update(w.to_le_bytes());
    }
    h.finalize().into()
}
