//! One garbled batch of the fast protocol on a channel (garbler or evaluator by the batch),
//! counted into the report: shared by the per-layer runner and the output circuits.

use super::msg::{GcBatch, GcCircuit};
use super::report::FastReport;
use crate::error::ProtocolError;
use rand::CryptoRng;
use runtime::channel::Channel;
use runtime::driver::{TwoPartyCircuit, run_evaluator_with_scheme, run_garbler_with_scheme};

/// Runs one garbled batch on `ch` with the batch's garbling scheme (the driver's handshake
/// carries it; a peer garbling with another is refused) and adds its gates and traffic to
/// `report`: an activation batch counts its instances as activations, an output batch as
/// pixels.
pub(crate) fn run_batch<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    circuit: &TwoPartyCircuit,
    batch: &GcBatch,
    report: &mut FastReport,
    rng: &mut R,
) -> Result<Option<Vec<Vec<bool>>>, ProtocolError> {
    let before = ch.bytes_received();
    let (bits, reveal, scheme) = (&batch.bits, batch.reveal, batch.scheme);
    let run = if batch.garbler {
        run_garbler_with_scheme(ch, circuit, bits, reveal, scheme, rng)?
    } else {
        run_evaluator_with_scheme(ch, circuit, bits, reveal, scheme, rng)?
    };
    report.scheme = scheme;
    let received = ch.bytes_received() - before;
    let instances = batch.bits.len() as u64;
    report.ands += run.stats.ands;
    report.ots += run.stats.ots;
    report.gc_bytes_received.push(received);
    match batch.circuit {
        GcCircuit::Activation => report.activations += instances,
        GcCircuit::Output(_) => {
            report.output_ands += run.stats.ands;
            report.pixels += instances;
            report.output_bytes_received += received;
        }
    }
    Ok(run.outputs)
}
