//! Little-endian bit packing of residues at their modulus' width (serialization helper).

/// Bytes before the packed residues of an input ciphertext (magic + seed of `a`).
pub const INPUT_HEADER: usize = 4 + 32;
/// Bytes before the packed residues of a returned ciphertext (magic).
pub const OUTPUT_HEADER: usize = 4;

/// Bits needed for residues modulo `p` (`⌈log2 p⌉`).
pub fn prime_bits(p: u64) -> u32 {
    64 - (p - 1).leading_zeros()
}

/// Packs values of up to 64 bits each, least significant bit first.
#[derive(Default)]
pub struct BitWriter {
    out: Vec<u8>,
    acc: u128,
    fill: u32,
}

impl BitWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the low `bits` bits of `v` (`bits ≤ 64`).
    pub fn put(&mut self, v: u64, bits: u32) {
        let v = if bits == 64 {
            v
        } else {
            v & ((1u64 << bits) - 1)
        };
        self.acc |= (v as u128) << self.fill;
        self.fill += bits;
        while self.fill >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.fill -= 8;
        }
    }

    /// Bytes written so far (without the partial last byte).
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty() && self.fill == 0
    }

    /// The packed bytes (the last byte zero-padded).
    pub fn finish(mut self) -> Vec<u8> {
        if self.fill > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// Reads what [`BitWriter`] wrote.
pub struct BitReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    acc: u128,
    fill: u32,
}

/// A bit-level read error.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BitError {
    /// The input ended early.
    #[error("truncated after {0} bytes")]
    Truncated(usize),
    /// A value is not below its modulus.
    #[error("value {value} at byte {at} is not below its modulus {bound}")]
    OutOfRange {
        /// The value read.
        value: u64,
        /// The bound.
        bound: u64,
        /// Byte position.
        at: usize,
    },
    /// Bytes are left over.
    #[error("{0} trailing bytes")]
    Trailing(usize),
}

impl<'a> BitReader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            pos: 0,
            acc: 0,
            fill: 0,
        }
    }

    /// The next `bits`-bit value (`bits ≤ 64`).
    pub fn get(&mut self, bits: u32) -> Result<u64, BitError> {
        while self.fill < bits {
            let b = *self
                .bytes
                .get(self.pos)
                .ok_or(BitError::Truncated(self.pos))?;
            self.acc |= (b as u128) << self.fill;
            self.pos += 1;
            self.fill += 8;
        }
        let v = if bits == 64 {
            self.acc as u64
        } else {
            (self.acc as u64) & ((1u64 << bits) - 1)
        };
        self.acc >>= bits;
        self.fill -= bits;
        Ok(v)
    }

    /// The next value, which must be below `bound`.
    pub fn get_below(&mut self, bits: u32, bound: u64) -> Result<u64, BitError> {
        let value = self.get(bits)?;
        if value >= bound {
            return Err(BitError::OutOfRange {
                value,
                bound,
                at: self.pos,
            });
        }
        Ok(value)
    }

    /// Checks that only zero padding bits remain.
    pub fn finish(self) -> Result<(), BitError> {
        let left = self.bytes.len() - self.pos;
        if left > 0 || self.acc != 0 {
            return Err(BitError::Trailing(left));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_unpacks_mixed_widths() {
        let vals: Vec<(u64, u32)> = (0..100u64)
            .map(|i| {
                (
                    i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (i % 9),
                    55 + (i % 10) as u32,
                )
            })
            .collect();
        let mut w = BitWriter::new();
        for &(v, b) in &vals {
            w.put(v, b);
        }
        let bytes = w.finish();
        let total: u32 = vals.iter().map(|v| v.1).sum();
        assert_eq!(bytes.len(), total.div_ceil(8) as usize);
        let mut r = BitReader::new(&bytes);
        for &(v, b) in &vals {
            let mask = if b == 64 { u64::MAX } else { (1 << b) - 1 };
            assert_eq!(r.get(b).ok(), Some(v & mask));
        }
        assert!(r.finish().is_ok());
        let mut r = BitReader::new(&bytes[..bytes.len() - 1]);
        assert!(vals.iter().map(|&(_, b)| r.get(b)).any(|x| x.is_err()));
    }
}
