//! One module per subcommand group.

pub(crate) mod compile;
pub(crate) mod demo;
pub(crate) mod denoise;
pub(crate) mod dsl;
pub(crate) mod gc;
pub(crate) mod paillier;
#[cfg(test)]
mod report_md;
pub(crate) mod secure;
pub(crate) mod secure_bench;

/// An error that ends a command: printed to stderr, exit status 1.
pub(crate) type CliError = Box<dyn std::error::Error + Send + Sync>;
