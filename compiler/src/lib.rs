//! gcc-nn compiler: checked DSL programs → optimised boolean circuits.
//!
//! Pure: no I/O beyond the bytes and text it is handed (and [`compile_file`], which reads
//! one source file). Pipeline: [`dsl::check_with`] → [`lower::lower`] (gadgets, range
//! narrowing, path-sensitive ranges inside `if` arms, constant propagation, structural
//! hashing) → dead-gate elimination in [`builder::Builder::finish`] → [`Circuit`].
//! The circuit type, its formats (Bristol, side file, binary), statistics and simulation
//! live in the `gcc-nn-circuit` crate (the contract with the runtime); they are re-exported
//! here as [`circuit`], [`bristol`], [`meta`], [`binary`], [`stats`] and [`simulate`].
//!
//! ```
//! use gcc_nn_compiler as compiler;
//! let src = "input garbler x: int<8>;\ninput evaluator y: int<8>;\noutput z: int<9> = x + y;";
//! let c = compiler::compile_source(src, "add.dsl", &compiler::CompileOptions::default()).expect("compiles");
//! assert_eq!(c.and_count(), 8);
//! ```

pub mod builder;
pub mod gadgets;
pub mod limits;
pub mod link;
pub mod lower;
pub mod range;
pub mod report;

pub use ::circuit::{
    Circuit, CircuitError, Gate, IoValue, Party, ValueFormat, WireId, binary, bristol, circuit,
    meta, simulate, stats,
};

/// Which optimisation passes run (all on by default); switch them off to see what each buys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassOptions {
    /// Fold constants through gates and decide constant-select muxes statically.
    pub constant_propagation: bool,
    /// Structural hashing: build each distinct gate once (common subexpressions).
    pub cse: bool,
    /// Remove gates no output depends on.
    pub dead_gates: bool,
    /// Value-range analysis: narrow every width to the range its value can take.
    pub range: bool,
    /// Path-sensitive ranges: inside an `if` arm, assume its condition.
    pub path_ranges: bool,
    /// Fuse sums, differences, negations, shifts and constant products of single-use values
    /// into one carry-save compression (one carry chain instead of one per operation).
    pub fusion: bool,
    /// Shared row pairs in fused sums: a pair of shifted copies of one word that recurs in
    /// a sum (as in constant products' signed digits) is added once and reused.
    pub shared_rows: bool,
    /// Redundant selects: `if c { k } else { v }` is `v` when the ranges prove v = k
    /// whenever c holds (needs `range`).
    pub redundant_selects: bool,
}

impl Default for PassOptions {
    fn default() -> Self {
        PassOptions {
            constant_propagation: true,
            cse: true,
            dead_gates: true,
            range: true,
            path_ranges: true,
            fusion: true,
            shared_rows: true,
            redundant_selects: true,
        }
    }
}

impl PassOptions {
    /// Every pass switched off: the plain lowering, the baseline of the pass tables.
    pub fn none() -> Self {
        PassOptions {
            constant_propagation: false,
            cse: false,
            dead_gates: false,
            range: false,
            path_ranges: false,
            fusion: false,
            shared_rows: false,
            redundant_selects: false,
        }
    }

    /// The gate-level part of these options.
    pub fn build_options(&self) -> builder::BuildOptions {
        builder::BuildOptions {
            fold_constants: self.constant_propagation,
            structural_hashing: self.cse,
            dead_gate_elimination: self.dead_gates,
        }
    }
}

/// Options of [`compile_source`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompileOptions {
    /// Optimisation passes.
    pub passes: PassOptions,
    /// Constant overrides `(NAME, VALUE)` (`-D NAME=VALUE` on the command line).
    pub overrides: Vec<(String, String)>,
}

/// Why a program did not compile.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// The source does not parse or type-check (render with [`dsl::Diagnostics::render`]).
    #[error("{0}")]
    Dsl(dsl::Diagnostics),
    /// The checked program could not be lowered.
    #[error("{0}")]
    Lower(#[from] lower::LowerError),
    /// The source file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl CompileError {
    /// A human-readable message (source line and caret for DSL errors).
    pub fn render(&self) -> String {
        match self {
            CompileError::Dsl(d) => d.render(),
            other => other.to_string(),
        }
    }
}

/// Checks and compiles DSL source text (`file_name` names it in diagnostics).
pub fn compile_source(
    src: &str,
    file_name: &str,
    options: &CompileOptions,
) -> Result<Circuit, CompileError> {
    let program = dsl::check_with(src, file_name, &options.overrides).map_err(CompileError::Dsl)?;
    Ok(lower::lower(&program, &options.passes)?)
}

/// Reads and compiles a DSL file.
pub fn compile_file(
    path: &std::path::Path,
    options: &CompileOptions,
) -> Result<Circuit, CompileError> {
    let src = std::fs::read_to_string(path).map_err(|source| CompileError::Io {
        path: path.display().to_string(),
        source,
    })?;
    compile_source(&src, &path.display().to_string(), options)
}
