//! gcc-nn-activation: the activation function of the network, defined once, as one DSL
//! program `fixed<16, 12> → fixed<16, 12>` (the activation format, Fa = 12).
//!
//! # API (for the protocol, the model and the CLI)
//!
//! - [`Activation`]: name, DSL source, SHA-256 of the source, the checked program.
//!   - [`Activation::shipped`]`(name)`: `relu`, `sigmoid`, `tanh` (the paper's tanh*),
//!     `tanh_fit`, `tanh_fine`, `gelu` (sources built in, `circuits/<name>.dsl`);
//!     [`SHIPPED`] lists them.
//!   - [`Activation::from_file`]`(path)`, [`Activation::from_source`]`(name, source, file)`;
//!     [`Activation::resolve`]`(name_or_path)`: a shipped name, else a file path.
//!   - [`Activation::name`], [`Activation::source`], [`Activation::file`],
//!     [`Activation::sha256`] (of the source bytes), [`Activation::program`].
//!   - Plaintext reference: [`Activation::eval`]`(raw: i64) -> i64` saturates `raw` into
//!     the activation format (exactly as the wrappers do) and looks the result up in a
//!     65,536-entry table computed once from the DSL program by the interpreter;
//!     [`Activation::eval_act`]`(raw: i16) -> i16`, [`Activation::table`]; [`saturate`].
//!   - [`Activation::output_bits`]: the least `w` with every f(x) in `fixed<w, 12>` (14 for
//!     the tanh family and the sigmoid, 16 for ReLU and GELU): the wrappers read f(x) at this
//!     width (`YB`), so the masked output mask is `YB + σ` bits and a chained slot `YB` bits.
//!   - Secure wrappers, generated from the activation by the DSL's `extern fn` link (no text
//!     splicing), compiled once per parameter set and cached:
//!     [`Activation::masked_circuit`]`(&MaskedParams)` (Paillier bridge / reference
//!     protocol, `circuits/wrappers/masked.dsl`), [`Activation::shares_circuit`]`(&SharesParams)`
//!     (fast protocol, `circuits/wrappers/shares.dsl`),
//!     [`Activation::chained_circuit`]`(&ChainedParams)` (chained packing, K slots);
//!     [`Activation::wrapper_program`] gives the checked core program of any of them (for
//!     the interpreter).
//! - [`wrappers`]: the wrapper sources and the chained-packing generator.
//! - [`ActivationError`]: what went wrong (unknown name, unreadable file, DSL error with
//!   its rendered diagnostics, interface mismatch).
//!
//! AND counts of the generated wrappers (defaults; `tests/known_answers.rs` prints them next
//! to the hand-written circuits they replaced, compiled by today's compiler, on equal
//! outputs): masked tanh* 606 (599), tanh_fit 720 (713), tanh_fine 864 (857); on shares
//! 598 (595), 712 (709), 856 (853).
//!
//! Saturation: every wrapper clamps its wide pre-activation into `fixed<16, 12>`
//! (−8 … 8 − 2^−12) before calling the activation, so any function of the format is well
//! defined on every input; [`Activation::eval`] does the same.

#![forbid(unsafe_code)]

mod table;
pub mod wrappers;

use compiler::Circuit;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

pub use wrappers::{ChainedParams, MaskedParams, SharesParams, Wrapper};

/// Fractional bits of the activation format.
pub const FA: u32 = 12;
/// Width of the activation format.
pub const WIDTH: u32 = 16;
/// Smallest raw value of the activation format (−8.0).
pub const MIN_RAW: i64 = -(1 << (WIDTH - 1));
/// Largest raw value of the activation format (8 − 2^−12).
pub const MAX_RAW: i64 = (1 << (WIDTH - 1)) - 1;
/// Number of distinct inputs of an activation (2^16).
pub const TABLE_LEN: usize = 1 << WIDTH;

/// The activation format `fixed<16, 12>` as a DSL type.
pub fn format() -> dsl::Ty {
    dsl::Ty::Num(dsl::NumTy {
        signed: true,
        width: WIDTH,
        frac: FA,
    })
}

/// The shipped activations: `(name, file under circuits/, source)`.
pub const SHIPPED: [(&str, &str, &str); 6] = [
    (
        "relu",
        "circuits/relu.dsl",
        include_str!("../../circuits/relu.dsl"),
    ),
    (
        "sigmoid",
        "circuits/sigmoid.dsl",
        include_str!("../../circuits/sigmoid.dsl"),
    ),
    (
        "tanh",
        "circuits/tanh.dsl",
        include_str!("../../circuits/tanh.dsl"),
    ),
    (
        "tanh_fit",
        "circuits/tanh_fit.dsl",
        include_str!("../../circuits/tanh_fit.dsl"),
    ),
    (
        "tanh_fine",
        "circuits/tanh_fine.dsl",
        include_str!("../../circuits/tanh_fine.dsl"),
    ),
    (
        "gelu",
        "circuits/gelu.dsl",
        include_str!("../../circuits/gelu.dsl"),
    ),
];

/// Why an activation could not be loaded, checked or wrapped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActivationError {
    /// Not a shipped name and not an existing file.
    #[error("unknown activation `{name}`: not a shipped name ({known}) and no such file")]
    Unknown {
        /// What was asked for.
        name: String,
        /// The shipped names, comma-separated.
        known: String,
    },
    /// The file could not be read.
    #[error("cannot read activation {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The source does not check, or its interface is not `fixed<16,12> → fixed<16,12>`,
    /// or a wrapper does not link or compile (rendered diagnostics, naming the file(s)).
    #[error("{0}")]
    Dsl(String),
    /// The interpreter failed on the activation (a bug in the checked program).
    #[error("activation {name} cannot be evaluated: {message}")]
    Eval {
        /// Activation name.
        name: String,
        /// What failed.
        message: String,
    },
}

/// One activation function: its DSL program and everything derived from it.
#[derive(Clone)]
pub struct Activation {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    file: String,
    source: String,
    sha256: [u8; 32],
    program: dsl::core::Program,
    table: OnceLock<Result<Vec<i16>, String>>,
    circuits: Mutex<HashMap<Wrapper, Arc<Circuit>>>,
}

impl std::fmt::Debug for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Activation")
            .field("name", &self.inner.name)
            .field("file", &self.inner.file)
            .field("sha256", &hex(&self.inner.sha256))
            .finish()
    }
}

impl PartialEq for Activation {
    fn eq(&self, other: &Self) -> bool {
        self.inner.sha256 == other.inner.sha256 && self.inner.name == other.inner.name
    }
}

impl Activation {
    /// The shipped activation `name` (one of [`SHIPPED`]).
    pub fn shipped(name: &str) -> Result<Activation, ActivationError> {
        match SHIPPED.iter().find(|(n, _, _)| *n == name) {
            Some((n, file, src)) => Activation::from_source(n, src, file),
            None => Err(ActivationError::Unknown {
                name: name.to_string(),
                known: shipped_names(),
            }),
        }
    }

    /// Reads and checks an activation file; its name is the file stem.
    pub fn from_file(path: &Path) -> Result<Activation, ActivationError> {
        let source = std::fs::read_to_string(path).map_err(|source| ActivationError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Activation::from_source(&name, &source, &path.display().to_string())
    }

    /// A shipped name, else a path to a `.dsl` file.
    pub fn resolve(name_or_path: &str) -> Result<Activation, ActivationError> {
        if SHIPPED.iter().any(|(n, _, _)| *n == name_or_path) {
            return Activation::shipped(name_or_path);
        }
        let path = Path::new(name_or_path);
        if path.exists() {
            return Activation::from_file(path);
        }
        Err(ActivationError::Unknown {
            name: name_or_path.to_string(),
            known: shipped_names(),
        })
    }

    /// Checks `source` (named `file` in messages) as an activation called `name`.
    pub fn from_source(
        name: &str,
        source: &str,
        file: &str,
    ) -> Result<Activation, ActivationError> {
        let program = dsl::check(source, file).map_err(|d| ActivationError::Dsl(d.render()))?;
        let fmt = format();
        dsl::check_interface(&program, file, source, &[fmt], fmt)
            .map_err(|d| ActivationError::Dsl(d.render()))?;
        Ok(Activation {
            inner: Arc::new(Inner {
                name: name.to_string(),
                file: file.to_string(),
                source: source.to_string(),
                sha256: Sha256::digest(source.as_bytes()).into(),
                program,
                table: OnceLock::new(),
                circuits: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The activation's name (shipped name or file stem).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The file it was read from (`circuits/<name>.dsl` for shipped ones).
    pub fn file(&self) -> &str {
        &self.inner.file
    }

    /// The DSL source text.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// SHA-256 of the source bytes (what model headers bind).
    pub fn sha256(&self) -> [u8; 32] {
        self.inner.sha256
    }

    /// The checked program (one input, one output, both `fixed<16, 12>`).
    pub fn program(&self) -> &dsl::core::Program {
        &self.inner.program
    }

    /// The 65,536 outputs indexed by `input raw + 32768`, computed on first use.
    pub fn table(&self) -> Result<&[i16], ActivationError> {
        let t = self
            .inner
            .table
            .get_or_init(|| table::build(&self.inner.program));
        match t {
            Ok(v) => Ok(v),
            Err(message) => Err(ActivationError::Eval {
                name: self.inner.name.clone(),
                message: message.clone(),
            }),
        }
    }

    /// f(x) for a raw `fixed<16, 12>` input.
    pub fn eval_act(&self, raw: i16) -> Result<i16, ActivationError> {
        let t = self.table()?;
        Ok(t[table::index(raw)])
    }

    /// f(sat(x)) for any raw value at 12 fractional bits: `raw` is first saturated into
    /// [`MIN_RAW`, `MAX_RAW`], as the wrappers do. Returns the raw output.
    pub fn eval(&self, raw: i64) -> Result<i64, ActivationError> {
        Ok(i64::from(self.eval_act(saturate(raw))?))
    }

    /// Least `w` such that every output of f fits `fixed<w, 12>` (14 for the tanh family,
    /// 16 at most): the wrappers read f(x) at this width, which sizes the output masks.
    pub fn output_bits(&self) -> Result<u32, ActivationError> {
        let t = self.table()?;
        let lo = t.iter().copied().min().map_or(0, i64::from);
        let hi = t.iter().copied().max().map_or(0, i64::from);
        Ok((1..=WIDTH)
            .find(|w| -(1i64 << (w - 1)) <= lo && hi < (1i64 << (w - 1)))
            .unwrap_or(WIDTH))
    }

    /// The checked core program of a wrapper linked to this activation.
    pub fn wrapper_program(&self, w: &Wrapper) -> Result<dsl::core::Program, ActivationError> {
        wrappers::program(self, w)
    }

    /// The compiled wrapper `w` (cached per activation and parameter set).
    pub fn circuit(&self, w: &Wrapper) -> Result<Arc<Circuit>, ActivationError> {
        let cached = self
            .inner
            .circuits
            .lock()
            .ok()
            .and_then(|m| m.get(w).cloned());
        if let Some(c) = cached {
            return Ok(c);
        }
        let c = Arc::new(wrappers::compile(self, w)?);
        if let Ok(mut m) = self.inner.circuits.lock() {
            m.insert(*w, c.clone());
        }
        Ok(c)
    }

    /// The masked circuit of the Paillier bridge / reference protocol.
    pub fn masked_circuit(&self, p: &MaskedParams) -> Result<Arc<Circuit>, ActivationError> {
        self.circuit(&Wrapper::Masked(*p))
    }

    /// The on-shares circuit of the fast protocol.
    pub fn shares_circuit(&self, p: &SharesParams) -> Result<Arc<Circuit>, ActivationError> {
        self.circuit(&Wrapper::Shares(*p))
    }

    /// The chained-packing circuit (K slots per ciphertext) of the bridge.
    pub fn chained_circuit(&self, p: &ChainedParams) -> Result<Arc<Circuit>, ActivationError> {
        self.circuit(&Wrapper::Chained(*p))
    }
}

/// Clamps a raw value at 12 fractional bits into the activation format.
pub fn saturate(raw: i64) -> i16 {
    raw.clamp(MIN_RAW, MAX_RAW) as i16
}

/// The shipped names, comma-separated.
pub fn shipped_names() -> String {
    SHIPPED
        .iter()
        .map(|(n, _, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Lower-case hexadecimal of bytes (for hashes in messages).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
