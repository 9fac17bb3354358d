//! The progress events of a whole run advance through the owner's upload, the re-sharing
//! and every layer's cross products and activations, ending each phase at its total. In the
//! `serial` binary, under its lock: the progress sink is process-wide.

use crate::fast_common;

use crate::keyholder_common::serial;
use fast_common::{keys, random_model, ring};
use gcc_nn_protocol::fast::{
    CloudOutputOrShare, EncryptedModel, ShareCircuit, simulate, simulate_setup,
};
use gcc_nn_protocol::progress::{Event, Recorder, set_sink, summarise};
use model::GrayImage;
use model::denoise::quantised_patches;
use model::patches::ImageLayout;
use std::sync::Arc;

#[test]
fn events_cover_upload_resharing_and_every_layer() {
    let _guard = serial();
    // A three-layer model (2 activations + the output layer) on a 6×6 image.
    let model = random_model(&[9, 6, 5, 1], 21);
    let (user_sk, cloud_sk) = keys();
    let rec = Arc::new(Recorder::new());
    set_sink(Some(rec.clone()));

    let enc = EncryptedModel::encrypt_with_rng(
        &model,
        user_sk.public_key(),
        &gcc_nn_protocol::upload::OwnerKey::from_seed(&[7; 32]),
        &mut rand::rng(),
    )
    .expect("upload");
    let setup = simulate_setup(user_sk, cloud_sk.clone(), &enc, ring()).expect("setup");
    let CloudOutputOrShare::Share(cloud_share) = setup.cloud else {
        panic!("setup gives the cloud a share");
    };
    let img =
        GrayImage::new(6, 6, (0..36).map(|i| f64::from(i * 7 % 256)).collect()).expect("image");
    let (inputs, _) = quantised_patches(&model, &img, model.stride).expect("patches");
    let layout =
        ImageLayout::new(6, 6, model.geometry(model.stride).expect("geometry")).expect("layout");
    let circuit = ShareCircuit::for_activation(&model.activation, &model.params).expect("c");
    // The session opens the image's phase (fast::job); `simulate` is the bare run.
    let steps_total = 2 * (inputs.len() * model.layers.len()) as u64;
    gcc_nn_protocol::progress::phase("denoising the image", steps_total);
    simulate(
        user_sk,
        &setup.user,
        &cloud_share,
        &circuit,
        &inputs,
        &layout,
        false,
    )
    .expect("image");
    gcc_nn_protocol::progress::finish();
    set_sink(None);

    let events = rec.events();
    let phases = summarise(&events);
    let weights: u64 = model
        .layers
        .iter()
        .map(|l| (l.weights.len() + l.bias.len()) as u64)
        .sum();
    // Upload and re-sharing: opened with the number of weights and biases, advanced to it.
    assert_eq!(
        phases[0],
        ("upload: encrypting the model".into(), weights, weights)
    );
    assert_eq!(phases[1], ("re-sharing the model".into(), weights, weights));
    assert_eq!(
        phases[2],
        ("denoising the image".into(), steps_total, steps_total)
    );
    assert_eq!(phases.len(), 3, "{phases:?}");
    assert_eq!(events.iter().filter(|e| **e == Event::Finish).count(), 3);
    // Every layer: its cross products, then its activations (the last: the output pixels),
    // each step covering every patch, in order.
    let steps: Vec<(String, u64)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Step(label, n) => Some((label.clone(), *n)),
            _ => None,
        })
        .collect();
    let p = inputs.len() as u64;
    let want: Vec<(String, u64)> = vec![
        ("layer 1/3: cross products".into(), p),
        ("layer 1/3: activations".into(), p),
        ("layer 2/3: cross products".into(), p),
        ("layer 2/3: activations".into(), p),
        ("layer 3/3: cross products".into(), p),
        ("layer 3/3: output pixels".into(), p),
    ];
    // Names and counts only: every phase and step name is one of these fixed texts.
    assert_eq!(steps, want);
}
