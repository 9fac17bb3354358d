//! Linking: compiles a program whose `extern fn`s are bound to other DSL programs (e.g. a
//! masked-activation wrapper and the activation it calls). Each linked program is checked
//! on its own first (its errors name its file), then bound at the core level by
//! [`dsl::check_linked`], which checks every interface (errors name both files).

use crate::{Circuit, CompileError, CompileOptions, lower};

pub use dsl::Link;

/// A program to link: the `extern fn` name it binds, its source and file name.
#[derive(Clone, Copy, Debug)]
pub struct LinkSource<'a> {
    /// The external function's name in the calling program.
    pub name: &'a str,
    /// The linked program's source text.
    pub source: &'a str,
    /// Its file name, for messages.
    pub file: &'a str,
}

/// Checks `src` (named `file_name`) with its `extern fn`s bound to the checked programs
/// `links`, and compiles it; `options.overrides` apply to `src` only.
pub fn compile_linked(
    src: &str,
    file_name: &str,
    links: &[Link<'_>],
    options: &CompileOptions,
) -> Result<Circuit, CompileError> {
    let program =
        dsl::check_linked(src, file_name, &options.overrides, links).map_err(CompileError::Dsl)?;
    Ok(lower::lower(&program, &options.passes)?)
}

/// Like [`compile_linked`], checking each linked program from its source first.
pub fn compile_linked_sources(
    src: &str,
    file_name: &str,
    links: &[LinkSource<'_>],
    options: &CompileOptions,
) -> Result<Circuit, CompileError> {
    let mut programs = Vec::with_capacity(links.len());
    for l in links {
        programs.push(dsl::check(l.source, l.file).map_err(CompileError::Dsl)?);
    }
    let bound: Vec<Link<'_>> = links
        .iter()
        .zip(&programs)
        .map(|(l, program)| Link {
            name: l.name,
            program,
            file: l.file,
            source: l.source,
        })
        .collect();
    compile_linked(src, file_name, &bound, options)
}
