//! The bounded reader, its error, and the matching writer methods ([`Put`]).

/// Why bytes could not be decoded: the file kind, the field, the byte offset at which the
/// field starts (from the start of the file) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {field} at byte {offset}: {reason}")]
pub struct DecodeError {
    /// The kind of file or message ("Paillier public key", "model share file", …).
    pub what: &'static str,
    /// The field being read.
    pub field: String,
    /// Byte offset of the field from the start of the file.
    pub offset: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// A cursor over bytes being decoded. Every read is bounds-checked; every declared length or
/// count is checked against a limit and against the bytes left before it is used.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    base: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, a `what` (named in errors), offsets counted from 0.
    pub fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Self::at_offset(bytes, what, 0)
    }

    /// A reader over `bytes` that start at byte `base` of the file (offsets in errors are
    /// counted from the start of the file).
    pub fn at_offset(bytes: &'a [u8], what: &'static str, base: usize) -> Self {
        Self {
            bytes,
            at: 0,
            base,
            what,
        }
    }

    /// The kind of file or message being read.
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// Offset of the next byte from the start of the file.
    pub fn offset(&self) -> usize {
        self.base + self.at
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    /// An error about `field` at the current offset.
    pub fn error(&self, field: &str, reason: impl Into<String>) -> DecodeError {
        self.error_at(field, self.offset(), reason)
    }

    /// An error about `field` at `offset` (from [`Reader::offset`] before the field was read).
    pub fn error_at(&self, field: &str, offset: usize, reason: impl Into<String>) -> DecodeError {
        DecodeError {
            what: self.what,
            field: field.to_string(),
            offset,
            reason: reason.into(),
        }
    }

    /// The next `n` bytes of `field`.
    pub fn take(&mut self, field: &str, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(self.error(
                field,
                format!("truncated: {n} bytes needed, {} left", self.remaining()),
            ));
        }
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, field: &str) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(field, N)?);
        Ok(a)
    }

    /// One byte.
    pub fn u8(&mut self, field: &str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(field)?[0])
    }

    /// A little-endian u16.
    pub fn u16(&mut self, field: &str) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    /// A little-endian u32.
    pub fn u32(&mut self, field: &str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    /// A little-endian u64.
    pub fn u64(&mut self, field: &str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    /// An unsigned LEB128 varint (7 bits per byte, low first) of at most 64 bits.
    pub fn uleb(&mut self, field: &str) -> Result<u64, DecodeError> {
        let at = self.offset();
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8(field)?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                break;
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.error_at(field, at, "varint longer than 64 bits"))
    }

    /// Checks a count `n` of `field` (declared by the file, or derived from declared sizes)
    /// against `max` and against the bytes left at `elem_bytes` each, before the caller
    /// allocates for it; `offset` is where the declaration started.
    pub fn check_count(
        &self,
        field: &str,
        offset: usize,
        n: u64,
        max: u64,
        elem_bytes: usize,
    ) -> Result<usize, DecodeError> {
        if n > max {
            return Err(self.error_at(field, offset, format!("{n} exceeds the limit of {max}")));
        }
        let need = u128::from(n) * elem_bytes as u128;
        if need > self.remaining() as u128 {
            return Err(self.error_at(
                field,
                offset,
                format!(
                    "declares {n} × {elem_bytes} bytes, only {} left (truncated)",
                    self.remaining()
                ),
            ));
        }
        usize::try_from(n).map_err(|_| self.error_at(field, offset, "count overflows usize"))
    }

    /// A u32 count of `field` of at most `max` elements of `elem_bytes` each, checked
    /// ([`Reader::check_count`]) before it is returned.
    pub fn count32(
        &mut self,
        field: &str,
        max: u64,
        elem_bytes: usize,
    ) -> Result<usize, DecodeError> {
        let at = self.offset();
        let n = self.u32(field)?;
        self.check_count(field, at, u64::from(n), max, elem_bytes)
    }

    /// A u64 count of `field`, checked like [`Reader::count32`].
    pub fn count64(
        &mut self,
        field: &str,
        max: u64,
        elem_bytes: usize,
    ) -> Result<usize, DecodeError> {
        let at = self.offset();
        let n = self.u64(field)?;
        self.check_count(field, at, n, max, elem_bytes)
    }

    /// A byte string with a u64 length prefix of at most `max` bytes ([`Put::put_bytes64`]).
    pub fn bytes64(&mut self, field: &str, max: u64) -> Result<&'a [u8], DecodeError> {
        let n = self.count64(field, max, 1)?;
        self.take(field, n)
    }

    /// `n` little-endian u64 values (`n` already checked with [`Reader::check_count`] or
    /// [`Reader::count32`]).
    pub fn u64s(&mut self, field: &str, n: usize) -> Result<Vec<u64>, DecodeError> {
        let at = self.offset();
        self.check_count(field, at, n as u64, u64::MAX, 8)?;
        let raw = self.take(field, n * 8)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| {
                let mut w = [0u8; 8];
                w.copy_from_slice(c);
                u64::from_le_bytes(w)
            })
            .collect())
    }

    /// Succeeds only when every byte was read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(self.error("end", format!("{} trailing bytes", self.remaining())))
        }
    }
}

/// The writer side of [`Reader`]: little-endian integers and u64-length-prefixed byte strings.
pub trait Put {
    /// The buffer written to.
    fn buf(&mut self) -> &mut Vec<u8>;

    /// Appends raw bytes.
    fn put(&mut self, bytes: &[u8]) {
        self.buf().extend_from_slice(bytes);
    }

    /// Appends one byte.
    fn put_u8(&mut self, v: u8) {
        self.buf().push(v);
    }

    /// Appends a little-endian u16.
    fn put_u16(&mut self, v: u16) {
        self.put(&v.to_le_bytes());
    }

    /// Appends a little-endian u32.
    fn put_u32(&mut self, v: u32) {
        self.put(&v.to_le_bytes());
    }

    /// Appends a little-endian u64.
    fn put_u64(&mut self, v: u64) {
        self.put(&v.to_le_bytes());
    }

    /// Appends an unsigned LEB128 varint ([`Reader::uleb`]).
    fn put_uleb(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.put_u8(byte);
                return;
            }
            self.put_u8(byte | 0x80);
        }
    }

    /// Appends a byte string with a u64 length prefix ([`Reader::bytes64`]).
    fn put_bytes64(&mut self, bytes: &[u8]) {
        self.put_u64(bytes.len() as u64);
        self.put(bytes);
    }
}

impl Put for Vec<u8> {
    fn buf(&mut self) -> &mut Vec<u8> {
        self
    }
}
