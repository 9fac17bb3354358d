//! gcc-nn DSL: the language of fixed-point functions compiled to garbled circuits.
//!
//! The specification (grammar and the exact semantics of every operator) is
//! `dsl/README.md`. Pipeline and public API:
//!
//! - [`parse`]: source text → [`ast::Program`] (byte spans on every node), or
//!   [`Diagnostics`].
//! - [`check`] / [`check_with`]: parse + type check + elaborate → [`core::Program`], the
//!   **core IR** the compiler lowers to gates: functions inlined, loops unrolled,
//!   constants folded to typed [`core::Op::Const`] nodes, implicit conversions explicit
//!   [`core::Op::Cast`]s, `if/else` kept structured as [`core::Op::If`], every node typed
//!   with its exact [`types::NumTy`] (signedness, width ≤ 128, frac). Inputs carry their
//!   [`Party`]. `check_with` overrides named constants (`-D K=40` on the CLI).
//!   [`core::Program::var_types`] gives every variable's type; `Display` prints a listing
//!   (`gcc-nn check FILE --ir`).
//! - [`interpret`] / [`Interpreter`] / [`interpret_named`]: run the core IR on raw input
//!   values (`u128` bit patterns, two's complement, LSB = bit 0) → raw outputs (exactly
//!   `width` bits). This is the reference the circuits must match bit for bit.
//! - [`parse_value`] / [`format_value`]: user text (`0.5`, `-3`, raw `0x2b7e…`) ↔ raw
//!   values of a [`Ty`], quantised with the literal rule (round half away from zero,
//!   error if out of range).
//! - [`Diagnostics::render`]: `file:line:col: error: …` plus the source drawn by ariadne with
//!   the span marked and labelled.
//!
//! ```
//! use gcc_nn_dsl as dsl;
//! let src = "input garbler x: fixed<16, 12>;\noutput y: fixed<16, 12> = x * 0.5;";
//! let prog = dsl::check(src, "half.dsl").expect("valid program");
//! let x = dsl::parse_value("-0.75", &prog.inputs[0].ty).expect("fits");
//! let out = dsl::interpret(&prog, &[x]).expect("runs");
//! assert_eq!(dsl::format_value(out[0], &prog.outputs[0].ty), "-0.375");
//! ```
//!
//! ---
//!
//! The specification follows (it is `dsl/README.md`).
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod ast;
mod check;
pub mod core;
pub mod diag;
mod interp;
pub mod lexer;
mod parser;
pub mod rational;
pub mod trunc;
pub mod types;
pub mod value;

pub use ast::Party;
pub use check::link::{Link, check_interface};
pub use diag::{Diagnostic, Diagnostics, Span, Style};
pub use interp::{InterpretError, Interpreter, interpret, interpret_named};
pub use rational::Rational;
pub use types::{NumTy, Ty};
pub use value::{ValueError, format_raw_hex, format_value, parse_value, quantise};

/// Parses source text into an AST; `file` names the source in diagnostics.
pub fn parse(source: &str, file: &str) -> Result<ast::Program, Diagnostics> {
    on_big_stack(|| parse_here(source, file)).unwrap_or_else(|| Err(internal_error(file, source)))
}

fn parse_here(source: &str, file: &str) -> Result<ast::Program, Diagnostics> {
    parser::parse_program(source).map_err(|d| Diagnostics::new(file, source, vec![d]))
}

/// Stack for parsing and checking: the passes recurse over expression trees (at most 256
/// deep) and through inlined calls (at most 64 deep); only touched pages are committed.
const STACK_BYTES: usize = 512 << 20;

/// Runs `f` on a thread with a large stack (in place if no thread can be started).
/// `None` only if `f` could not run at all (a poisoned lock).
fn on_big_stack<T: Send, F: FnOnce() -> T + Send>(f: F) -> Option<T> {
    let job = std::sync::Mutex::new(Some(f));
    let spawned = std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("dsl-check".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(s, || take_job(&job));
        match handle {
            Ok(h) => match h.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Err(_) => None,
        }
    });
    spawned.or_else(|| take_job(&job))
}

fn take_job<T, F: FnOnce() -> T>(job: &std::sync::Mutex<Option<F>>) -> Option<T> {
    let f = job.lock().ok()?.take()?;
    Some(f())
}

fn internal_error(file: &str, source: &str) -> Diagnostics {
    Diagnostics::new(
        file,
        source,
        vec![Diagnostic::unlocated(
            "internal error: the checker could not be started",
        )],
    )
}

/// Parses, type checks and elaborates a program into the core IR.
pub fn check(source: &str, file: &str) -> Result<core::Program, Diagnostics> {
    check_with(source, file, &[])
}

/// Like [`check`], first replacing the values of declared `const`s: each override is
/// `(name, value text)` with the value a number such as `40`, `-1.5` or `0x10`.
pub fn check_with(
    source: &str,
    file: &str,
    overrides: &[(String, String)],
) -> Result<core::Program, Diagnostics> {
    check_linked(source, file, overrides, &[])
}

/// Like [`check_with`], binding each `extern fn` of the program to a checked program
/// ([`Link`]): its inputs are the parameters, its output the result (README §7).
pub fn check_linked(
    source: &str,
    file: &str,
    overrides: &[(String, String)],
    links: &[Link<'_>],
) -> Result<core::Program, Diagnostics> {
    let err = |d: Diagnostic| Diagnostics::new(file, source, vec![d]);
    let mut parsed = Vec::with_capacity(overrides.len());
    for (name, text) in overrides {
        match lexer::parse_number_text(text) {
            Some(v) => parsed.push((name.clone(), v)),
            None => {
                return Err(err(Diagnostic::unlocated(format!(
                    "cannot override `{name}`: `{text}` is not a number"
                ))
                .with_help(
                    "write -D NAME=VALUE with a number such as 40, -1.5 or 0x10",
                )));
            }
        }
    }
    on_big_stack(|| {
        let program = parse_here(source, file)?;
        check::elaborate(&program, &parsed, links, file, source.len()).map_err(err)
    })
    .unwrap_or_else(|| Err(internal_error(file, source)))
}

/// Splits a `NAME=VALUE` override (as given to `-D`) into its two parts.
pub fn split_override(text: &str) -> Option<(String, String)> {
    let (n, v) = text.split_once('=')?;
    let n = n.trim();
    if n.is_empty() || v.trim().is_empty() {
        return None;
    }
    Some((n.to_string(), v.trim().to_string()))
}
