//! How a runner reads the next message of the fast protocol off the channel: the one type
//! the message decoders and the engines share (a leaf: it names no other file).

/// How the runner reads the next message off the channel before the core decodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// Exactly this many bytes.
    Exact(usize),
    /// `count` fixed-width records of `size` bytes (ciphertexts), read one by one.
    Records {
        /// Number of records.
        count: usize,
        /// Bytes per record.
        size: usize,
    },
    /// A u64 length of at most `max`, then that many bytes (the core gets the bytes only).
    Prefixed {
        /// Most bytes accepted.
        max: usize,
    },
}

impl Framing {
    /// Bytes of the message (the most bytes for [`Framing::Prefixed`]).
    pub fn bytes(&self) -> usize {
        match *self {
            Framing::Exact(len) => len,
            Framing::Records { count, size } => count.saturating_mul(size),
            Framing::Prefixed { max } => max,
        }
    }
}
