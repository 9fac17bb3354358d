//! The fast protocol's share files (user's `*.usershare`, cloud's `*.cloudshare`):
//! `ModelShare::from_bytes` on the fuzz input, and on the input with its trailing SHA-256
//! recomputed so that mutations get past the checksum to the size, range and key checks.
//! Every input must end in `Ok` or an error, never a panic or a huge allocation; an
//! accepted file must re-encode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::fast::ModelShare;
use sha2::{Digest, Sha256};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = ModelShare::from_bytes(data) {
        assert_eq!(s.to_bytes().as_slice(), data, "round trip");
    }
    if data.len() >= 32 {
        let mut sealed = data.to_vec();
        let n = sealed.len() - 32;
        let digest = Sha256::digest(&sealed[..n]);
        sealed[n..].copy_from_slice(&digest);
        if let Ok(s) = ModelShare::from_bytes(&sealed) {
            assert_eq!(s.to_bytes().as_slice(), sealed.as_slice(), "round trip");
        }
    }
});
