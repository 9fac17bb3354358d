//! The user's side of the bridge (key owner, garbled-circuit garbler).

use super::masks::{bits_of, draw_output_mask};
use super::wire::{Mode, recv_ciphertexts, recv_header, send_ciphertexts};
use super::{
    BridgeCircuit, Clock, PartyReport, absorb_gc, groups, packed_layouts, take_randomness,
};
use crate::error::{BridgeError, he};
use compiler::Party;
use num_bigint::BigUint;
use num_traits::ToPrimitive;
use paillier::{Ciphertext, RandomnessPool, SecretKey};
use rand::CryptoRng;
use runtime::channel::Channel;
use runtime::driver::{Reveal, run_garbler};

/// Runs the user's side for one batch announced by the cloud; `pool` supplies the
/// randomness of the `Enc(−ru)` ciphertexts (fill it with [`RandomnessPool::fill_crt`]).
pub fn run_user<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    sk: &SecretKey,
    circuit: &BridgeCircuit,
    pool: &mut RandomnessPool,
    rng: &mut R,
) -> Result<PartyReport, BridgeError> {
    let pk = sk.public_key();
    let p = circuit.params();
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let mut report = PartyReport::default();
    let (layout_in, layout_out) = packed_layouts(pk, p).map_err(he("slot layout"))?;

    let header = recv_header(ch, pk)?;
    if header.mode == Mode::Chained {
        let cc = circuit.chained.as_ref().ok_or_else(|| {
            BridgeError::Interface("chained mode needs BridgeCircuit::with_chained".into())
        })?;
        return super::chained::user(ch, sk, cc, header, pool, rng, report, (sent0, recv0));
    }
    let mut clock = Clock::start();
    let n = header.batch as usize;
    let expected = match header.mode {
        Mode::Unpacked => n,
        Mode::Packed | Mode::Chained => groups(n, layout_in.slots()),
    };
    if header.ciphertexts != expected as u64 {
        return Err(BridgeError::Protocol {
            phase: "bridge header",
            what: format!(
                "{} ciphertexts announced for a batch of {n}, expected {expected}",
                header.ciphertexts
            ),
        });
    }
    let masked = recv_ciphertexts(ch, pk, expected, "masked pre-activations")?;
    clock.lap(&mut report, "receive masked values");

    // 1. Decrypt x + m and keep its low LX bits.
    let bad_range = || BridgeError::Protocol {
        phase: "masked pre-activations",
        what: format!(
            "a masked value exceeds {} bits (cloud mask out of range)",
            p.masked_x_width()
        ),
    };
    let mut xr: Vec<u128> = Vec::with_capacity(n);
    for (g, c) in masked.iter().enumerate() {
        let plain = sk.decrypt(c).map_err(he("decrypting masked values"))?;
        match header.mode {
            Mode::Unpacked => {
                if plain.bits() > u64::from(p.masked_x_width()) {
                    return Err(bad_range());
                }
                xr.push(low_bits(&plain, p.masked_x_width()));
            }
            Mode::Packed | Mode::Chained => {
                let count = (n - g * layout_in.slots()).min(layout_in.slots());
                let slots = layout_in.unpack(&plain, count).map_err(|_| bad_range())?;
                xr.extend(slots.iter().map(|v| low_bits(v, p.masked_x_width())));
            }
        }
    }
    clock.lap(&mut report, "decrypt");

    // 2. Output masks and their encryptions Enc(−ru).
    let ru: Vec<u128> = (0..n).map(|_| draw_output_mask(&p, rng)).collect();
    let neg = |v: BigUint| pk.n() - v;
    let neg_ru: Vec<Ciphertext> = match header.mode {
        Mode::Unpacked => ru
            .iter()
            .map(|&r| {
                let rn = take_randomness(pool, pk, &mut report, rng);
                pk.encrypt_with(&neg(BigUint::from(r)), &rn)
                    .map_err(he("encrypting output masks"))
            })
            .collect::<Result<_, _>>()?,
        Mode::Packed | Mode::Chained => ru
            .chunks(layout_out.slots())
            .map(|group| {
                let group: Vec<BigUint> = group.iter().map(|&r| BigUint::from(r)).collect();
                let packed = layout_out
                    .pack(&group)
                    .map_err(he("packing output masks"))?;
                let rn = take_randomness(pool, pk, &mut report, rng);
                pk.encrypt_with(&neg(packed), &rn)
                    .map_err(he("encrypting output masks"))
            })
            .collect::<Result<_, _>>()?,
    };
    clock.lap(&mut report, "draw + encrypt -ru");
    send_ciphertexts(ch, pk, &neg_ru, "encrypted output masks")?;
    clock.lap(&mut report, "send Enc(-ru)");

    // 3. Garble the batch: inputs xr and ru in circuit order.
    let garbler_inputs: Vec<Vec<bool>> = xr
        .iter()
        .zip(&ru)
        .map(|(&x, &r)| {
            let mut bits = Vec::new();
            for (v, party) in circuit
                .tpc
                .circuit()
                .inputs
                .iter()
                .zip(circuit.tpc.parties())
            {
                if *party == Party::Garbler {
                    let value = if v.name == "ru" { r } else { x };
                    bits.extend(bits_of(value, v.format.width()));
                }
            }
            bits
        })
        .collect();
    let run = run_garbler(ch, &circuit.tpc, &garbler_inputs, Reveal::Evaluator, rng)?;
    absorb_gc(&mut report, &run.stats);
    report.bytes_sent = ch.bytes_sent() - sent0;
    report.bytes_received = ch.bytes_received() - recv0;
    Ok(report)
}

/// The low `bits` bits of v (bits < 128).
fn low_bits(v: &BigUint, bits: u32) -> u128 {
    let mask = (BigUint::from(1u8) << bits) - 1u8;
    (v & mask).to_u128().unwrap_or(0)
}
