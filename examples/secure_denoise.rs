//! A secure denoise through the library API: the fast protocol with both parties in this
//! process (two threads, an in-memory channel), on a small crop of the shipped sample.
//!
//! 1. The user and the cloud generate their Paillier keys.
//! 2. The model owner encrypts the shipped model under the user's key (the upload).
//! 3. The user and the cloud re-share the encrypted model (the setup, once per user and model).
//! 4. The user's noisy crop is denoised by the protocol: the cloud never sees the image, the
//!    user never sees the weights; the user ends with the 8-bit denoised pixels.
//! 5. The pixels are compared with the plaintext fixed-point reference (`model`), which the
//!    protocol must reproduce exactly.
//!
//! ```sh
//! cargo run --release --example secure_denoise            # 2048-bit keys, 24×24 crop
//! ```

use model::GrayImage;
use model::denoise::{denoise_fixed, quantised_patches};
use model::fixed::{FIXED, FixedMlp};
use model::metrics::{add_noise, psnr_u8};
use model::patches::ImageLayout;
use paillier::SecretKey;
use protocol::fast::{
    CloudOutputOrShare, EncryptedModel, Ring, ShareCircuit, simulate, simulate_setup,
};
use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An error of this example (any library error, or a mismatch).
type Failure = Box<dyn Error + Send + Sync>;

/// What one run did.
#[derive(Debug)]
pub(crate) struct Summary {
    /// Paillier modulus bits of both keys.
    pub(crate) key_bits: u32,
    /// Crop side in pixels.
    pub(crate) side: usize,
    /// Patches the protocol ran.
    pub(crate) patches: usize,
    /// Wall times: upload, setup, image.
    pub(crate) times: [Duration; 3],
    /// PSNR (8-bit images, peak 255) of the noisy and the denoised crop against the clean one.
    pub(crate) psnr: (f64, f64),
    /// Bytes the user sent and received during the image.
    pub(crate) user_bytes: (u64, u64),
}

/// Denoises a `side`×`side` crop (σ = 25 noise) with the fast protocol under fresh
/// `key_bits`-bit keys and checks it against the fixed-point reference pixel for pixel.
pub(crate) fn run(key_bits: u32, side: usize) -> Result<Summary, Failure> {
    let mut rng = rand::rng();
    // 1. Keys: the user's (it decrypts its own results) and the cloud's (for its shares).
    let user_sk = SecretKey::generate_any_size(key_bits, &mut rng)?;
    let cloud_sk = Arc::new(SecretKey::generate_any_size(key_bits, &mut rng)?);

    // 2. The model owner: the shipped model in fixed point, encrypted under the user's key.
    let fixed = FixedMlp::from_model(
        &model::shipped::model()?,
        FIXED,
        activation::Activation::shipped("tanh_fit")?,
    )?;
    let started = Instant::now();
    let encrypted = EncryptedModel::encrypt_with_rng(
        &fixed,
        user_sk.public_key(),
        &protocol::upload::OwnerKey::generate(),
        &mut rng,
    )?;
    let upload = started.elapsed();

    // 3. The setup: both parties end with additive shares of the model.
    let ring = Ring::new(FIXED.ring_bits)?;
    let setup = simulate_setup(&user_sk, cloud_sk, &encrypted, ring)?;
    let CloudOutputOrShare::Share(cloud_share) = setup.cloud else {
        return Err("the setup did not give the cloud a share".into());
    };
    let user_share = setup.user;

    // 4. The user's image: a noisy crop of the sample, cut into quantised patches.
    let clean = model::shipped::sample_image()?.crop(60, 60, side, side)?;
    let noisy = add_noise(&clean, 25.0, 1).quantized();
    let (inputs, _) = quantised_patches(&fixed, &noisy, fixed.stride)?;
    let layout = ImageLayout::new(side, side, fixed.geometry(fixed.stride)?)?;
    let circuit = ShareCircuit::for_activation(&fixed.activation, &fixed.params)?;
    let run = simulate(
        &user_sk,
        &user_share,
        &cloud_share,
        &circuit,
        &inputs,
        &layout,
        false,
    )?;
    let user = run.user;

    // 5. Exactly the plaintext fixed-point network's output?
    let (reference, _) = denoise_fixed(&fixed, &noisy, fixed.stride)?;
    if reference.to_u8() != user.pixels {
        let differing = reference
            .to_u8()
            .iter()
            .zip(&user.pixels)
            .filter(|(a, b)| a != b)
            .count();
        return Err(format!("{differing} pixels differ from the fixed-point reference").into());
    }
    let denoised = GrayImage::new(
        user.width,
        user.height,
        user.pixels.iter().map(|&p| f64::from(p)).collect(),
    )?;
    Ok(Summary {
        key_bits,
        side,
        patches: inputs.len(),
        times: [upload, setup.wall, run.wall],
        psnr: (psnr_u8(&clean, &noisy)?, psnr_u8(&clean, &denoised)?),
        user_bytes: (user.report.bytes_sent, user.report.bytes_received),
    })
}

fn main() -> Result<(), Failure> {
    let s = run(2048, 24)?;
    let [upload, setup, image] = s.times.map(|d| d.as_secs_f64());
    println!(
        "fast protocol, {}-bit keys, both parties in this process",
        s.key_bits
    );
    println!("  model owner's upload (encrypting the model): {upload:.1} s");
    println!("  setup (re-sharing the encrypted model):      {setup:.1} s");
    println!(
        "  {0}×{0} crop, {1} patches:                   {image:.1} s; the user sent {2:.1} MB, received {3:.1} MB",
        s.side,
        s.patches,
        s.user_bytes.0 as f64 / 1e6,
        s.user_bytes.1 as f64 / 1e6
    );
    println!(
        "  PSNR (8-bit, peak 255): noisy {:.2} dB → denoised {:.2} dB",
        s.psnr.0, s.psnr.1
    );
    println!("the secure output equals the plaintext fixed-point reference, pixel for pixel");
    Ok(())
}
