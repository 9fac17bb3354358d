//! Which engine computes the linear layers' cross products (a leaf: named by the engines,
//! the key exchange and the messages).

/// How the linear layers' cross products are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CrossEngine {
    /// Packed Paillier with the matrix as exponent (docs/protocol.md §3).
    #[default]
    Paillier,
    /// Ring-LWE plaintext-ciphertext products in the coefficient encoding (docs/protocol.md §4).
    Rlwe,
}

impl CrossEngine {
    /// Every engine, default first.
    pub const ALL: [CrossEngine; 2] = [CrossEngine::Paillier, CrossEngine::Rlwe];

    /// The word the image header carries.
    pub fn code(self) -> u64 {
        match self {
            CrossEngine::Paillier => 1,
            CrossEngine::Rlwe => 2,
        }
    }

    /// From the image header's word.
    pub fn from_code(code: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    /// Name on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            CrossEngine::Paillier => "paillier",
            CrossEngine::Rlwe => "rlwe",
        }
    }
}

impl std::fmt::Display for CrossEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CrossEngine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown linear-layer engine `{s}` (paillier or rlwe)"))
    }
}
