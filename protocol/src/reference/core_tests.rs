//! The reference cores driven by hand: the messages passed from one core to the other with
//! no channel, the activation bridge replaced by its function computed in the clear (the
//! test holds the secret key), the result checked against the plaintext arithmetic on the
//! decrypted model.

use super::*;
use crate::reference::tests::tiny_model_with_key;
use paillier::RandomnessPool;

/// `count` fresh `r^N` values.
fn rands(pk: &PublicKey, count: usize) -> Vec<Randomness> {
    let mut pool = RandomnessPool::new();
    pool.fill(pk, count);
    (0..count).filter_map(|_| pool.take()).collect()
}

fn signed(sk: &SecretKey, c: &Ciphertext) -> i128 {
    i128::try_from(&sk.decrypt_signed(c).expect("decrypt")).expect("fits")
}

/// The stand-in activation: `clamp(z >> fw, ±2^fa)`, any function of z will do.
fn act(z: i128, fw: u32, fa: u32) -> i128 {
    (z >> fw).clamp(-(1 << fa), 1 << fa)
}

#[test]
fn scripted_messages_compute_the_network_exactly() {
    let (model, sk) = tiny_model_with_key();
    let pk = sk.public_key();
    let h = &model.header;
    let (fw, fa) = (h.fixed.fw, h.fixed.fa);
    let patches: Vec<Vec<i64>> = vec![
        (0..9).map(|k| (k as i64 - 4) * 900).collect(),
        (0..9)
            .map(|k| if k % 2 == 0 { 4095 } else { -4096 })
            .collect(),
    ];
    // The plaintext network on the decrypted weights.
    let plain_layers: Vec<(Vec<i128>, Vec<i128>)> = model
        .layers
        .iter()
        .map(|l| {
            let w = l.weights.iter().map(|c| signed(&sk, c)).collect();
            let b = l.bias.iter().map(|c| signed(&sk, c)).collect();
            (w, b)
        })
        .collect();
    let linear = |li: usize, a: &[i128]| -> Vec<i128> {
        let (w, b) = &plain_layers[li];
        (0..b.len())
            .map(|i| {
                (0..a.len())
                    .map(|j| w[i * a.len() + j] * a[j])
                    .sum::<i128>()
                    + b[i]
            })
            .collect()
    };

    let mut cloud = CloudCore::new(pk, &model, patches.len()).expect("cloud");
    let mut user = UserCore::new(&sk, h, patches.len()).expect("user");
    let msg = user
        .encrypt_patches(&patches, &rands(pk, cloud.patch_values()))
        .expect("encrypt");
    cloud.on_patches(msg).expect("patches");
    let mut acts: Vec<Vec<i128>> = patches
        .iter()
        .map(|p| p.iter().map(|&v| i128::from(v)).collect())
        .collect();
    let q_msg = loop {
        let li = cloud.layer();
        cloud.draw_masks().expect("masks");
        let blinded = cloud
            .blind(&rands(pk, cloud.blinded_count()))
            .expect("blind");
        assert_eq!(user.blinded_count(), cloud.blinded_count());
        user.decrypt(blinded).expect("decrypt");
        let products = user
            .multiply(&rands(pk, user_products(&user)))
            .expect("multiply");
        let z_plain: Vec<Vec<i128>> = acts.iter().map(|a| linear(li, a)).collect();
        match cloud.unblind(products).expect("unblind") {
            CloudStep::Activate(z) => {
                assert!(user.activation_follows());
                let z_dec: Vec<i128> = z.iter().map(|c| signed(&sk, c)).collect();
                assert_eq!(z_dec, z_plain.concat(), "layer {li} is exact");
                acts = z_plain
                    .iter()
                    .map(|z| z.iter().map(|&v| act(v, fw, fa)).collect())
                    .collect();
                let fz = acts
                    .concat()
                    .iter()
                    .zip(rands(pk, z.len()))
                    .map(|(&v, r)| pk.encrypt_signed_with(&BigInt::from(v), &r).expect("enc"))
                    .collect();
                cloud.on_activations(fz).expect("activations");
            }
            CloudStep::Output(q) => {
                assert!(!user.activation_follows());
                acts = z_plain;
                break cloud.outputs(&q, &rands(pk, q.len()));
            }
        }
    };
    let q = user.outputs(q_msg).expect("outputs");
    let want: Vec<Vec<i64>> = acts
        .iter()
        .map(|v| v.iter().map(|&x| x as i64).collect())
        .collect();
    assert_eq!(q, want);
}

/// `r^N` values the user needs for its products (before `multiply` moves on).
fn user_products(user: &UserCore<'_>) -> usize {
    user.products_count()
}

#[test]
fn messages_of_the_wrong_kind_or_length_are_refused_naming_the_message() {
    let (model, sk) = tiny_model_with_key();
    let pk = sk.public_key();
    let mut cloud = CloudCore::new(pk, &model, 1).expect("cloud");
    let err = cloud
        .on_patches(UserMsg::Products(Vec::new()))
        .expect_err("wrong kind");
    assert_eq!(err.phase(), "encrypted patches");
    assert!(
        err.to_string()
            .contains("expected 9 patch values, got 0 encrypted products")
    );
    let mut user = UserCore::new(&sk, &model.header, 1).expect("user");
    let err = user
        .decrypt(CloudMsg::Outputs(Vec::new()))
        .expect_err("wrong kind");
    assert_eq!(err.phase(), "blinded factors");
    let err = user
        .encrypt_patches(&[vec![0; 8]], &[])
        .expect_err("short patch");
    assert!(err.to_string().contains("a patch has 8 values"), "{err}");
    let other = paillier::SecretKey::generate_any_size(
        256,
        &mut <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(1),
    )
    .expect("key");
    let err = CloudCore::new(other.public_key(), &model, 1).expect_err("wrong key");
    assert!(err.to_string().contains("does not match"), "{err}");
}
