//! The reader and the envelope: known layouts, every refusal with its message, and property
//! tests (round trip, truncation, mutation never panics and is always refused).

use gcc_nn_bytes::{CHECKSUM_BYTES, DecodeError, Format, HEADER_BYTES, Put, Reader};
use proptest::prelude::*;

const TEST: Format = Format {
    what: "test file",
    magic: *b"GCCNN-TT",
    version: 3,
    max_body: 1 << 16,
    remedy: "re-run `make-test-file`",
    legacy_prefixes: &[b"\x01T"],
};

/// A body with every kind of field, and its reader.
fn body(a: u8, b: u16, c: u32, d: u64, s: &[u8], v: &[u64]) -> Vec<u8> {
    let mut w = TEST.writer(0);
    w.put_u8(a);
    w.put_u16(b);
    w.put_u32(c);
    w.put_u64(d);
    w.put_bytes64(s);
    w.put_u32(v.len() as u32);
    for x in v {
        w.put_u64(*x);
    }
    w.finish()
}

type Fields = (u8, u16, u32, u64, Vec<u8>, Vec<u64>);

fn parse(file: &[u8]) -> Result<Fields, DecodeError> {
    let mut r = TEST.open(file)?;
    let a = r.u8("a")?;
    let b = r.u16("b")?;
    let c = r.u32("c")?;
    let d = r.u64("d")?;
    let s = r.bytes64("s", 1000)?.to_vec();
    let n = r.count32("v count", 100, 8)?;
    let v = r.u64s("v", n)?;
    r.finish()?;
    Ok((a, b, c, d, s, v))
}

#[test]
fn the_layout_is_magic_version_length_body_sha256() {
    let file = TEST.seal(b"abc");
    assert_eq!(&file[..8], b"GCCNN-TT");
    assert_eq!(&file[8..12], &3u32.to_le_bytes());
    assert_eq!(&file[12..20], &3u64.to_le_bytes());
    assert_eq!(&file[20..23], b"abc");
    // SHA-256 of the 23 bytes before it, known answer computed independently
    // (`printf 'GCCNN-TT\x03\0\0\0\x03\0\0\0\0\0\0\0abc' | sha256sum`).
    let hex: String = file[23..].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(file.len(), HEADER_BYTES + 3 + CHECKSUM_BYTES);
    assert_eq!(
        hex,
        "7ad24dbe6228e15aaeffacfd82f95a75a12f9fd1f6958ecc534dd11cc7ecfcc8"
    );
}

#[test]
fn every_refusal_names_the_file_the_field_and_the_offset() {
    let good = body(1, 2, 3, 4, b"xy", &[5, 6]);
    assert_eq!(
        parse(&good).expect("good"),
        (1, 2, 3, 4, b"xy".to_vec(), vec![5, 6])
    );
    let msg = |bytes: &[u8]| parse(bytes).expect_err("refused").to_string();

    assert_eq!(
        msg(b"PNG..."),
        "test file: magic at byte 0: not a gcc-nn test file file"
    );
    let legacy = msg(b"\x01Tsomething");
    assert!(
        legacy.contains("written by an older gcc-nn") && legacy.contains("make-test-file"),
        "{legacy}"
    );

    let mut old = good.clone();
    old[8] = 2;
    let e = msg(&old);
    assert!(e.starts_with("test file: version at byte 8: written by an older gcc-nn (format version 2, this build reads 3); re-run `make-test-file`"), "{e}");
    let mut new = good.clone();
    new[8] = 4;
    assert!(
        msg(&new).contains("written by a newer gcc-nn"),
        "{}",
        msg(&new)
    );

    let mut huge = good.clone();
    huge[12..20].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(
        msg(&huge)
            .contains("body length at byte 12: 1099511627776 bytes exceeds the limit of 65536"),
        "{}",
        msg(&huge)
    );

    let e = msg(&good[..good.len() - 1]);
    assert!(
        e.contains("body length at byte 12") && e.contains("truncated"),
        "{e}"
    );
    let mut longer = good.clone();
    longer.push(0);
    assert!(
        msg(&longer).contains("1 trailing bytes"),
        "{}",
        msg(&longer)
    );

    let mut flipped = good.clone();
    flipped[HEADER_BYTES] ^= 1;
    let e = msg(&flipped);
    assert!(
        e.contains("checksum at byte") && e.contains("corrupt"),
        "{e}"
    );
}

#[test]
fn declared_sizes_are_checked_before_allocation_with_their_offsets() {
    // A byte string declaring more than its limit, then more than the bytes present.
    let mut w = TEST.writer(0);
    w.put_u64(5000);
    let file = w.finish();
    let mut r = TEST.open(&file).expect("envelope");
    let e = r.bytes64("name", 1000).expect_err("over the limit");
    assert_eq!(
        e.to_string(),
        "test file: name at byte 20: 5000 exceeds the limit of 1000"
    );
    let mut r = TEST.open(&file).expect("envelope");
    let e = r.bytes64("name", 10_000).expect_err("truncated");
    assert_eq!(
        e.to_string(),
        "test file: name at byte 20: declares 5000 × 1 bytes, only 0 left (truncated)"
    );
    // A count whose elements would need 2^35 bytes: refused, nothing allocated.
    let mut w = TEST.writer(0);
    w.put_u32(u32::MAX);
    let file = w.finish();
    let mut r = TEST.open(&file).expect("envelope");
    let e = r.count32("weights", u64::MAX, 8).expect_err("too many");
    assert!(
        e.to_string()
            .contains("declares 4294967295 × 8 bytes, only 0 left"),
        "{e}"
    );
    // Plain reads past the end, and trailing bytes.
    let mut r = Reader::new(&[1, 2, 3], "blob");
    assert_eq!(r.u16("a").expect("two bytes"), 0x0201);
    assert_eq!(
        r.u32("b").expect_err("short").to_string(),
        "blob: b at byte 2: truncated: 4 bytes needed, 1 left"
    );
    assert_eq!(
        r.finish().expect_err("one left").to_string(),
        "blob: end at byte 2: 1 trailing bytes"
    );
}

#[test]
fn varints_are_leb128_and_bounded_to_64_bits() {
    let mut b = Vec::new();
    b.put_uleb(0);
    b.put_uleb(300);
    b.put_uleb(u64::MAX);
    assert_eq!(&b[..3], &[0x00, 0xac, 0x02]);
    assert_eq!(b.len(), 3 + 10);
    let mut r = Reader::new(&b, "varints");
    assert_eq!(r.uleb("a").expect("0"), 0);
    assert_eq!(r.uleb("b").expect("300"), 300);
    assert_eq!(r.uleb("c").expect("max"), u64::MAX);
    r.finish().expect("all read");
    // An eleventh byte, or a tenth above bit 63: refused at the varint's offset.
    let long = [0xffu8; 11];
    let e = Reader::new(&long, "v").uleb("n").expect_err("too long");
    assert_eq!(e.to_string(), "v: n at byte 0: varint longer than 64 bits");
    let mut over = vec![0xffu8; 9];
    over.push(0x02);
    assert!(Reader::new(&over, "v").uleb("n").is_err());
    let e = Reader::new(&[0x80], "v").uleb("n").expect_err("cut");
    assert!(e.to_string().contains("truncated"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn round_trip(a: u8, b: u16, c: u32, d: u64, s in proptest::collection::vec(any::<u8>(), 0..100),
                  v in proptest::collection::vec(any::<u64>(), 0..50)) {
        let file = body(a, b, c, d, &s, &v);
        prop_assert_eq!(parse(&file).expect("round trip"), (a, b, c, d, s, v));
    }

    #[test]
    fn varints_round_trip(v: u64) {
        let mut b = Vec::new();
        b.put_uleb(v);
        let mut r = Reader::new(&b, "v");
        prop_assert_eq!(r.uleb("v").expect("reads"), v);
        prop_assert!(r.finish().is_ok());
    }

    #[test]
    fn every_truncation_is_refused(s in proptest::collection::vec(any::<u8>(), 0..60), cut in 0usize..200) {
        let file = body(7, 8, 9, 10, &s, &[1, 2, 3]);
        let cut = cut % file.len();
        prop_assert!(parse(&file[..cut]).is_err());
    }

    #[test]
    fn every_mutation_is_refused_without_panic(s in proptest::collection::vec(any::<u8>(), 0..60),
                                                at in any::<usize>(), bit in 0u8..8) {
        let mut file = body(7, 8, 9, 10, &s, &[1, 2, 3]);
        let at = at % file.len();
        file[at] ^= 1 << bit;
        prop_assert!(parse(&file).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse(&bytes);
        let mut r = Reader::new(&bytes, "raw");
        let _ = r.count64("n", 1 << 20, 8).and_then(|n| r.u64s("v", n));
    }
}
