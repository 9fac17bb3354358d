//! What the user receives in a fast image run, every byte accounted for: the cloud's public
//! randomness base (a ciphertext under the cloud's key), per layer ciphertexts under the
//! cloud's key (which it cannot decrypt) and ciphertexts under its own key whose slots are
//! masked (uniform in Z_2^k), the OT messages and input-label seeds (uniform) of the garbled
//! activations it garbles, and the output circuits' traffic: the same plus exactly one byte
//! of colour bits per pixel, which the user decodes to the 8-bit pixel and nothing else. Negative controls: the old
//! protocol's last message (the cloud's output shares z_C in clear) or one extra word in the
//! transcript make the accounting fail.

use crate::fast_common;

use fast_common::{keys, random_model, ring, setup};
use gcc_nn_protocol::fast::party::layer_layout;
use gcc_nn_protocol::fast::{ShareCircuit, run_cloud, run_user};
use model::GrayImage;
use model::denoise::{denoise_fixed, quantised_patches};
use model::fixed::FixedMlp;
use model::patches::ImageLayout;
use runtime::channel::MemChannel;
use runtime::scripted::RecordingChannel;
use std::time::Duration;

/// Bytes of the garbled-circuit driver's handshake (magic, version, role, reveal, count, hash,
/// session id, scheme).
const GC_HANDSHAKE: usize = runtime::driver::HANDSHAKE_BYTES;
/// The cloud's input-label seed message after it: the length 16 (`u32`), then the seed.
const SEED_MESSAGE: usize = runtime::driver::INPUT_SEED_MESSAGE_BYTES;
/// Bytes the garbler receives per correlated OT of the evaluator's input bits (IKNP: one
/// 128-bit matrix row per OT, in columns of 128 OTs).
const OT_BYTES: usize = 16;

/// Bytes of the OT-extension matrix for `ots` OTs.
fn extension_bytes(ots: usize) -> usize {
    ots.div_ceil(128) * 128 * OT_BYTES
}

/// What the accounting found in a transcript.
#[derive(Debug, Default)]
struct Accounting {
    /// Ciphertexts under the cloud's key (its base and Enc_C(a_C)).
    cloud_ciphertexts: usize,
    /// Decrypted slots of ciphertexts under the user's key, reduced into Z_2^k.
    masked_slots: Vec<u64>,
    /// OT messages and input-label seeds of every garbled batch.
    ot_bytes: Vec<u8>,
    /// Per batch: bytes besides the handshake, the seed message, the per-OT messages and the
    /// colour bits (the base OT): 32 in every batch.
    base_ot_bytes: Vec<usize>,
    /// The output circuits' colour bits (one byte per pixel, in group order).
    colour_bytes: Vec<u8>,
}

/// The public facts the accounting uses: the model's shapes, the slot layouts, the image
/// layout's coverage groups, and the sizes of the garbled batches (activations, then output
/// groups) as the user's report measured them.
struct Expect<'a> {
    model: &'a FixedMlp,
    patches: usize,
    /// Pixels per output group, by increasing coverage.
    groups: Vec<usize>,
    gc_sizes: &'a [u64],
}

fn take<'a>(bytes: &'a [u8], at: &mut usize, n: usize, what: &str) -> Result<&'a [u8], String> {
    let s = bytes
        .get(*at..*at + n)
        .ok_or_else(|| format!("{what}: transcript ends at {} of {}", bytes.len(), *at + n))?;
    *at += n;
    Ok(s)
}

fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(w)
}

/// Takes a garbled batch of `instances` with `ots` correlated OTs and `colour` output bytes
/// apart, or says why it cannot.
fn gc_batch(
    seg: &[u8],
    instances: usize,
    ots: usize,
    colour: usize,
    acc: &mut Accounting,
) -> Result<(), String> {
    let fixed = GC_HANDSHAKE + SEED_MESSAGE;
    if seg.len() < fixed + extension_bytes(ots) + colour || &seg[..8] != b"GCCNN-GC" {
        return Err("not a garbled batch".into());
    }
    if word(&seg[14..22]) != instances as u64 {
        return Err(format!(
            "batch of {} instances, expected {instances}",
            word(&seg[14..22])
        ));
    }
    let seed = &seg[GC_HANDSHAKE..fixed];
    if seed[..4] != 16u32.to_le_bytes() {
        return Err(format!("seed message announcing {:02x?}", &seed[..4]));
    }
    acc.ot_bytes.extend_from_slice(&seed[4..]);
    let body = &seg[fixed..seg.len() - colour];
    acc.base_ot_bytes.push(body.len() - extension_bytes(ots));
    acc.ot_bytes.extend_from_slice(body);
    acc.colour_bytes
        .extend_from_slice(&seg[seg.len() - colour..]);
    Ok(())
}

/// Accounts for every byte the user received, or says which byte does not fit.
fn account(received: &[u8], e: &Expect) -> Result<Accounting, String> {
    let (user_sk, cloud_sk) = keys();
    let (user_pk, cloud_pk) = (user_sk.public_key(), cloud_sk.public_key());
    let r = ring();
    let k = r.k as usize;
    let mut acc = Accounting::default();
    let mut at = 0;
    // The cloud's randomness base: a length word, then a ciphertext under the cloud's key.
    let len = word(take(received, &mut at, 8, "base length")?) as usize;
    if len != cloud_pk.ciphertext_bytes() {
        return Err(format!("base of {len} bytes"));
    }
    cloud_pk
        .read_ciphertext(take(received, &mut at, len, "base")?)
        .map_err(|err| format!("base: {err}"))?;
    acc.cloud_ciphertexts += 1;
    let last = e.model.layers.len() - 1;
    let mut sizes = e.gc_sizes.iter();
    for (li, l) in e.model.layers.iter().enumerate() {
        let layout =
            layer_layout(&r, li, l.inputs, user_pk, cloud_pk).map_err(|x| x.to_string())?;
        let blocks = e.patches.div_ceil(layout.slots());
        if li > 0 {
            for _ in 0..l.inputs * blocks {
                let c = take(received, &mut at, cloud_pk.ciphertext_bytes(), "Enc_C(a_C)")?;
                cloud_pk
                    .read_ciphertext(c)
                    .map_err(|err| format!("layer {li} Enc_C(a_C): {err}"))?;
                acc.cloud_ciphertexts += 1;
            }
        }
        for t in 0..l.outputs * blocks {
            let c = take(
                received,
                &mut at,
                user_pk.ciphertext_bytes(),
                "Enc_U(α·a_U + ρ)",
            )?;
            let c = user_pk
                .read_ciphertext(c)
                .map_err(|err| format!("layer {li} Enc_U: {err}"))?;
            let plain = user_sk.decrypt(&c).map_err(|err| err.to_string())?;
            let used = layout
                .slots()
                .min(e.patches - (t % blocks) * layout.slots());
            let slots = layout.unpack(&plain, used).map_err(|err| err.to_string())?;
            acc.masked_slots.extend(
                slots
                    .iter()
                    .map(|v| v.iter_u64_digits().next().unwrap_or(0) & r.mask()),
            );
        }
        if li < last {
            let size = *sizes.next().ok_or("missing activation batch size")? as usize;
            let seg = take(received, &mut at, size, "activation batch")?;
            let n = l.outputs * e.patches;
            gc_batch(seg, n, n * k, 0, &mut acc).map_err(|x| format!("layer {li}: {x}"))?;
        }
    }
    for (g, &pixels) in e.groups.iter().enumerate() {
        let size = *sizes.next().ok_or("missing output batch size")? as usize;
        let seg = take(received, &mut at, size, "output batch")?;
        gc_batch(seg, pixels, pixels * k, pixels, &mut acc)
            .map_err(|x| format!("output group {g}: {x}"))?;
    }
    if at != received.len() {
        return Err(format!(
            "{} bytes left unaccounted for",
            received.len() - at
        ));
    }
    if acc.base_ot_bytes.windows(2).any(|w| w[0] != w[1]) {
        return Err(format!(
            "batches of different fixed parts: {:?}",
            acc.base_ot_bytes
        ));
    }
    // The fixed part: the base-OT sender's one point.
    if acc.base_ot_bytes.iter().any(|&n| n != 32) {
        return Err(format!(
            "fixed parts of {:?} bytes, expected 32 (one curve point)",
            acc.base_ot_bytes
        ));
    }
    Ok(acc)
}

/// χ² over 16 buckets of `bucket(v)`; 15 degrees of freedom, P(χ² > 45) ≈ 7·10^−5.
fn chi16(values: &[u64], bucket: impl Fn(u64) -> usize) -> f64 {
    let mut counts = [0f64; 16];
    for &v in values {
        counts[bucket(v)] += 1.0;
    }
    let e = values.len() as f64 / 16.0;
    counts.iter().map(|c| (c - e) * (c - e) / e).sum()
}

/// One recorded image run: the transcript, the user's pixels, the expectations' inputs.
struct Run {
    model: FixedMlp,
    noisy: GrayImage,
    layout: ImageLayout,
    received: Vec<u8>,
    pixels: Vec<u8>,
    gc_sizes: Vec<u64>,
    groups: Vec<usize>,
    patches: usize,
}

fn recorded_run() -> Run {
    // 5×5 → 3×3 at stride 2 on a 12×10 image: 20 patches, pixels covered 1, 2 or 4 times.
    let model = random_model(&[25, 8, 6, 9], 41);
    let px = (0..12 * 10).map(|i| ((i * 53) % 256) as f64).collect();
    let noisy = GrayImage::new(12, 10, px).expect("image");
    let stride = 2;
    let (inputs, _) = quantised_patches(&model, &noisy, stride).expect("patches");
    let layout =
        ImageLayout::new(12, 10, model.geometry(stride).expect("geometry")).expect("layout");
    let (user_share, cloud_share) = setup(&model);
    let circuit = ShareCircuit::for_activation(
        &activation::Activation::shipped("tanh").expect("tanh"),
        &model.params,
    )
    .expect("circuit");
    let (user_sk, _) = keys();
    let (a, b) = MemChannel::pair(Duration::from_secs(600));
    let (received, user) = std::thread::scope(|s| {
        let (share, circuit) = (&cloud_share, &circuit);
        let cloud = s.spawn(move || {
            let mut b = b;
            run_cloud(
                &mut b,
                user_sk.public_key(),
                share,
                circuit,
                false,
                &mut rand::rng(),
            )
            .expect("cloud run")
        });
        let mut ch = RecordingChannel::new(a);
        let user = run_user(
            &mut ch,
            user_sk,
            &user_share,
            circuit,
            &inputs,
            &layout,
            &mut rand::rng(),
        )
        .expect("user run");
        cloud.join().expect("cloud thread");
        (ch.into_received(), user)
    });
    let coverage = layout.coverage();
    let mut ns = coverage.clone();
    ns.sort_unstable();
    ns.dedup();
    let groups = ns
        .iter()
        .map(|n| coverage.iter().filter(|&c| c == n).count())
        .collect();
    Run {
        patches: inputs.len(),
        model,
        noisy,
        layout,
        received,
        pixels: user.pixels,
        gc_sizes: user.report.gc_bytes_received,
        groups,
    }
}

fn expect(run: &Run) -> Expect<'_> {
    Expect {
        model: &run.model,
        patches: run.patches,
        groups: run.groups.clone(),
        gc_sizes: &run.gc_sizes,
    }
}

#[test]
fn every_byte_the_user_receives_is_a_ciphertext_masked_ot_or_a_final_pixel() {
    let run = recorded_run();
    assert!(run.groups.len() >= 3, "several coverages: {:?}", run.groups);
    let (want, _) = denoise_fixed(&run.model, &run.noisy, 2).expect("reference");
    assert_eq!(
        run.pixels,
        want.to_u8(),
        "the user's image is the reference's"
    );
    let acc = account(&run.received, &expect(&run)).expect("every byte accounted for");
    // Masked slots: one per output value and patch of every layer, uniform in the ring.
    let values: usize = run.model.layers.iter().map(|l| l.outputs).sum();
    assert_eq!(acc.masked_slots.len(), values * run.patches);
    let k = ring().k;
    for (name, chi) in [
        (
            "top",
            chi16(&acc.masked_slots, |v| (v >> (k - 4)) as usize & 15),
        ),
        ("low", chi16(&acc.masked_slots, |v| (v & 15) as usize)),
    ] {
        assert!(chi < 45.0, "masked slots ({name} bits): χ² {chi:.1}");
    }
    // OT messages: uniform bytes (χ² over 256 buckets, 255 dof: P(> 370) < 10^−4).
    let mut counts = [0f64; 256];
    for &b in &acc.ot_bytes {
        counts[b as usize] += 1.0;
    }
    let e = acc.ot_bytes.len() as f64 / 256.0;
    let chi: f64 = counts.iter().map(|c| (c - e) * (c - e) / e).sum();
    assert!(
        chi < 370.0,
        "OT traffic: χ² {chi:.1} over {} bytes",
        acc.ot_bytes.len()
    );
    // The output: exactly one byte of colour bits per pixel — the pixel under the user's own
    // decoding bits, which are uniform: the bytes are not the pixels themselves.
    assert_eq!(acc.colour_bytes.len(), run.layout.pixel_count());
    let coverage = run.layout.coverage();
    let mut ns = coverage.clone();
    ns.sort_unstable();
    ns.dedup();
    let in_group_order: Vec<u8> = ns
        .iter()
        .flat_map(|n| {
            coverage
                .iter()
                .zip(&run.pixels)
                .filter(move |(c, _)| *c == n)
                .map(|(_, &p)| p)
        })
        .collect();
    let same = acc
        .colour_bytes
        .iter()
        .zip(&in_group_order)
        .filter(|(a, b)| a == b)
        .count();
    assert!(
        same < run.layout.pixel_count() / 8,
        "{same} colour bytes equal their pixel"
    );
    // Ciphertexts under the cloud's key: its base, then Enc_C(a_C) of layers 2 and 3.
    assert!(acc.cloud_ciphertexts > 1);
}

#[test]
fn the_accounting_catches_the_old_output_shares_and_an_extra_word() {
    let run = recorded_run();
    let e = expect(&run);
    account(&run.received, &e).expect("the honest transcript passes");
    // The old protocol: the cloud sent z_C (9 values per patch, one word each) in clear
    // after the last layer's ciphertexts, where the output circuits now start.
    let output_start = run.received.len()
        - run.gc_sizes[run.gc_sizes.len() - run.groups.len()..]
            .iter()
            .sum::<u64>() as usize;
    let mut old = run.received[..output_start].to_vec();
    old.extend(std::iter::repeat_n(0x5a, 9 * run.patches * 8));
    old.extend_from_slice(&run.received[output_start..]);
    let err = account(&old, &e).expect_err("z_C in clear must not be accounted for");
    assert!(err.contains("output group 0"), "{err}");
    // One extra word at the end (a leaked value).
    let mut extra = run.received.clone();
    extra.extend_from_slice(&42u64.to_le_bytes());
    let err = account(&extra, &e).expect_err("an extra word must not be accounted for");
    assert!(err.contains("8 bytes left unaccounted for"), "{err}");
    // A leaky output circuit revealing more than 8 bits per pixel (here 9) shifts its
    // batch's fixed part: caught too.
    let mut sizes = run.gc_sizes.clone();
    let last = sizes.len() - 1;
    sizes[last] += run.groups[run.groups.len() - 1] as u64 / 8 + 1;
    let mut wider = run.received.clone();
    wider.extend(std::iter::repeat_n(
        0u8,
        (sizes[last] - run.gc_sizes[last]) as usize,
    ));
    let e2 = Expect {
        gc_sizes: &sizes,
        ..expect(&run)
    };
    let err = account(&wider, &e2).expect_err("more colour bits than 8 per pixel");
    assert!(err.contains("fixed parts"), "{err}");
}
