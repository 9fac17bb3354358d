//! The binary circuit reader. First byte: even → the rest as is; odd → the rest sealed as a
//! body in the envelope (`binary::BINARY_FILE`, so mutations reach the structure behind
//! the checksum). A circuit
//! that reads is written back and must re-read identically.
#![no_main]

use circuit::binary;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let bytes = if selector & 1 == 1 {
        binary::BINARY_FILE.seal(rest)
    } else {
        rest.to_vec()
    };
    if let Ok(c) = binary::read(&bytes) {
        let again = binary::write(&c);
        match binary::read(&again) {
            Ok(back) => assert_eq!(c, back, "binary round trip"),
            Err(e) => panic!("written circuit does not read back: {e}"),
        }
    }
});
