//! Byte edits for the decoders' property tests: files and transcripts mutated by overwriting,
//! inserting, deleting or truncating at random positions, the same way in every crate.

use proptest::prelude::*;

/// One edit: (position, kind, byte); the position is taken modulo the length at the time.
pub type Edit = (usize, u8, u8);

/// One to `max - 1` edits of any kind.
pub fn edits(max: usize) -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..max)
}

/// Applies `edits` to `bytes`: by `kind % 4` overwrite, insert, delete, or truncate at the
/// position (an empty buffer gets the byte).
pub fn mutate(bytes: &mut Vec<u8>, edits: &[Edit]) {
    for &(pos, kind, byte) in edits {
        if bytes.is_empty() {
            bytes.push(byte);
            continue;
        }
        let at = pos % bytes.len();
        match kind % 4 {
            0 => bytes[at] = byte,
            1 => bytes.insert(at, byte),
            2 => {
                bytes.remove(at);
            }
            _ => bytes.truncate(at),
        }
    }
}

/// One to `max - 1` (position, xor) flips of a transcript.
pub fn flips(max: usize) -> impl Strategy<Value = Vec<(usize, u8)>> {
    prop::collection::vec((any::<usize>(), any::<u8>()), 1..max)
}

/// A transcript whose first byte (the role or mode it selects) is kept: the bytes named by
/// `flips` are xored with a nonzero value, then the whole is cut to `keep` bytes (at least
/// one, at most all).
pub fn flipped(script: &[u8], flips: &[(usize, u8)], keep: usize) -> Vec<u8> {
    let mut s = script.to_vec();
    if s.len() > 1 {
        for &(at, b) in flips {
            let i = 1 + at % (s.len() - 1);
            s[i] ^= b.max(1);
        }
    }
    s.truncate(keep.max(1).min(s.len()));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_edit_does_what_it_says() {
        let base = vec![1u8, 2, 3, 4];
        let apply = |edits: &[Edit]| {
            let mut b = base.clone();
            mutate(&mut b, edits);
            b
        };
        assert_eq!(apply(&[(5, 0, 9)]), vec![1, 9, 3, 4]);
        assert_eq!(apply(&[(1, 1, 9)]), vec![1, 9, 2, 3, 4]);
        assert_eq!(apply(&[(2, 2, 9)]), vec![1, 2, 4]);
        assert_eq!(apply(&[(3, 3, 9)]), vec![1, 2, 3]);
        let mut empty = Vec::new();
        mutate(&mut empty, &[(0, 2, 7)]);
        assert_eq!(empty, vec![7]);
    }

    #[test]
    fn flips_keep_the_first_byte_and_change_the_named_ones() {
        let s = [5u8, 0, 0, 0];
        assert_eq!(flipped(&s, &[(0, 0), (2, 6)], 9), vec![5, 1, 0, 6]);
        assert_eq!(flipped(&s, &[(1, 3)], 2), vec![5, 0]);
        assert_eq!(flipped(&s, &[], 0), vec![5]);
    }
}
