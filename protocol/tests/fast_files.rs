//! The files of the fast protocol and the encrypted upload: round trips, clear errors, and
//! random or mutated bytes that never panic (property tests). The `upload_file` and
//! `share_file` fuzz targets run the same decoders.

use crate::fast_harness;

use fast_harness::fixture;
use gcc_nn_protocol::fast::ModelShare;
use gcc_nn_protocol::fast::store::{CloudShareStore, read_share, write_atomic};
use gcc_nn_protocol::upload::EncryptedModel;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// `bytes` with its trailing SHA-256 recomputed (so mutations reach the decoder's checks).
fn resealed(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    if b.len() >= 32 {
        let n = b.len() - 32;
        let d = Sha256::digest(&b[..n]);
        b[n..].copy_from_slice(&d);
    }
    b
}

#[test]
fn upload_and_share_files_round_trip() {
    let f = fixture();
    let bytes = f.enc.to_bytes();
    let back = EncryptedModel::from_bytes(&bytes).expect("upload parses");
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(back.model_hash(), f.enc.model_hash());
    for share in [&f.shares.0, &f.shares.1] {
        let bytes = share.to_bytes();
        let back = ModelShare::from_bytes(&bytes).expect("share parses");
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.binding, share.binding);
        assert_eq!(back.binding.model_hash, f.enc.model_hash());
    }
    // Both halves of one setup carry the same binding.
    assert_eq!(f.shares.0.binding, f.shares.1.binding);
}

#[test]
fn damaged_share_files_are_refused_with_a_reason() {
    let bytes = fixture().shares.0.to_bytes();
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 4;
    let err = ModelShare::from_bytes(&flipped).expect_err("corrupt");
    assert!(err.to_string().contains("checksum"), "{err}");
    let err = ModelShare::from_bytes(&bytes[..bytes.len() - 1]).expect_err("truncated");
    assert!(err.to_string().contains("truncated"), "{err}");
    let err = ModelShare::from_bytes(b"GCCNN-EM not a share").expect_err("other file");
    assert!(
        err.to_string().contains("not a gcc-nn model share"),
        "{err}"
    );
    let mut v1 = bytes.clone();
    v1[8] = 1;
    let err = ModelShare::from_bytes(&resealed(&v1)).expect_err("old version");
    assert!(err.to_string().contains("version 1"), "{err}");
    // A file of the previous format (version 2, before the RLWE use counter): refused as
    // written by an older gcc-nn, with what to do.
    let mut v2 = bytes.clone();
    v2[8] = 2;
    let err = ModelShare::from_bytes(&resealed(&v2)).expect_err("version 2");
    assert!(
        err.to_string().contains("written by an older gcc-nn")
            && err.to_string().contains("re-shares"),
        "{err}"
    );
}

/// A share file body up to the layer count (role, ring bits, binding, RLWE use).
fn share_head(layers: u32) -> bytes::Writer {
    use bytes::Put;
    let mut w = gcc_nn_protocol::fast::shares::SHARE_FILE.writer(0);
    w.put_u8(1);
    w.put_u32(40);
    w.put(&[0u8; 72]);
    w.put(&[0u8; 16]);
    w.put_u32(layers);
    w
}

#[test]
fn a_tiny_share_file_declaring_huge_sizes_fails_fast() {
    use bytes::Put;
    // A share declaring 2^16 × 2^16 weights in 100-odd bytes.
    let mut w = share_head(1);
    w.put_u32(1 << 16);
    w.put_u32(1 << 16);
    let err = ModelShare::from_bytes(&w.finish()).expect_err("refused");
    assert!(err.to_string().contains("only 0 left (truncated)"), "{err}");
    // And one declaring 2^32 − 1 layers.
    let err = ModelShare::from_bytes(&share_head(u32::MAX).finish()).expect_err("refused");
    assert!(
        err.to_string()
            .contains("layer count at byte 113: 4294967295 exceeds the limit of 64"),
        "{err}"
    );
}

#[test]
fn a_tiny_upload_declaring_a_huge_model_fails_fast() {
    let f = fixture();
    let mut header = f.enc.header.clone();
    header.widths = vec![1 << 16, 1 << 16, 1 << 16, 1];
    header.input_patch = 256;
    let mut w = gcc_nn_protocol::upload::UPLOAD_FILE.writer(0);
    let header = header.to_bytes();
    bytes::Put::put_bytes64(&mut w, &header);
    // Signed (the reader checks the seal under the key it names before parsing the header;
    // whose key it is, serve and the user check) over no ciphertexts at all.
    let owner = gcc_nn_protocol::upload::OwnerKey::from_seed(&[1; 32]);
    let no_params = Sha256::digest([]).into();
    let seal = gcc_nn_protocol::upload::ModelSeal::sign(&header, no_params, &owner);
    bytes::Put::put(&mut w, &seal.to_bytes());
    let err = EncryptedModel::from_bytes(&w.finish()).expect_err("refused");
    assert!(err.to_string().contains("parameters exceed"), "{err}");
    // A file of the previous version (2): written by an older gcc-nn, re-encrypt.
    let mut v2 = f.enc.to_bytes();
    v2[8] = 2;
    let err = EncryptedModel::from_bytes(&resealed(&v2)).expect_err("version 2");
    assert!(
        err.to_string().contains("written by an older gcc-nn")
            && err.to_string().contains("gcc-nn model encrypt"),
        "{err}"
    );
}

#[test]
fn share_files_are_written_atomically_with_mode_0600() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = fixture();
    let store = CloudShareStore::open(&dir.path().join("store")).expect("store");
    let pk = f.user.public_key();
    let hash = f.enc.model_hash();
    assert!(store.load(pk, &hash).expect("empty store").is_none());
    let path = store.save(pk, &f.shares.1).expect("save");
    let back = store.load(pk, &hash).expect("load").expect("present");
    assert_eq!(back.binding, f.shares.1.binding);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(store.dir()), 0o700);
    }
    // Overwriting leaves exactly the one file, no temporaries.
    store.save(pk, &f.shares.1).expect("save again");
    assert_eq!(std::fs::read_dir(store.dir()).expect("list").count(), 1);
    // A user share in the cloud's store, or a share of another model, is refused.
    write_atomic(&path, &f.shares.0.to_bytes()).expect("overwrite");
    assert!(store.load(pk, &hash).is_err());
    let mut other = hash;
    other[0] ^= 1;
    let user_file = dir.path().join("u.share");
    write_atomic(&user_file, &f.shares.0.to_bytes()).expect("write");
    let s = read_share(&user_file).expect("read").expect("present");
    assert!(gcc_nn_protocol::fast::store::check_binding(&user_file, &s, pk, &other).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_the_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = EncryptedModel::from_bytes(&bytes);
        let _ = ModelShare::from_bytes(&bytes);
        let _ = EncryptedModel::from_bytes(&resealed(&bytes));
        let _ = ModelShare::from_bytes(&resealed(&bytes));
    }

    #[test]
    fn mutated_files_never_panic(which in 0usize..3, at in any::<usize>(), xor in 1u8..=255, cut in any::<bool>()) {
        let f = fixture();
        let bytes = match which {
            0 => f.enc.to_bytes(),
            1 => f.shares.0.to_bytes().to_vec(),
            _ => f.shares.1.to_bytes().to_vec(),
        };
        let mut m = bytes.clone();
        let i = at % m.len();
        m[i] ^= xor;
        if cut {
            m.truncate(i);
        }
        let m = resealed(&m);
        match which {
            0 => { let _ = EncryptedModel::from_bytes(&m); }
            _ => { let _ = ModelShare::from_bytes(&m); }
        }
    }
}
