//! The compact binary circuit format: the [`bytes`] file envelope ([`BINARY_FILE`]: magic
//! `GCCNN-BC`, version u32, body length u64, body, SHA-256 of everything before it).
//!
//! Body: LEB128 varints: input values, output values (name, party, format each), wire count,
//! gate count, gates (op byte, wires), output wires. Names, parties and formats travel
//! inside, so no side file is needed. Version 1 (magic `GCNC`, no envelope) is refused as
//! written by an older gcc-nn: recompile the circuit.

use crate::circuit::{Circuit, CircuitError, Gate, IoValue, Party, ValueFormat};
use crate::limits::{self, LimitError};
use bytes::{DecodeError, Format, Put, Reader};

/// File magic.
pub const MAGIC: &[u8; 8] = b"GCCNN-BC";
/// Current format version.
pub const VERSION: u32 = 2;
/// The binary circuit envelope.
pub const BINARY_FILE: Format = Format {
    what: "binary circuit",
    magic: *MAGIC,
    version: VERSION,
    max_body: 1 << 40,
    remedy: "recompile it with this gcc-nn (`gcc-nn compile … --format binary`)",
    legacy_prefixes: &[b"GCNC"],
};

/// An error reading a binary circuit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BinaryError {
    /// The data does not start with the magic bytes.
    #[error("not a gcc-nn binary circuit (bad magic bytes)")]
    BadMagic,
    /// A version this build cannot read (1: the format before the envelope).
    #[error(
        "binary circuit version {found} is not supported (this build reads version {VERSION}; \
         recompile the circuit with this gcc-nn)"
    )]
    UnsupportedVersion {
        /// Version found.
        found: u32,
    },
    /// The data is shorter than its contents require.
    #[error("binary circuit is truncated (while reading {what})")]
    Truncated {
        /// What was being read.
        what: &'static str,
    },
    /// The checksum does not match: the file is corrupt.
    #[error("binary circuit checksum mismatch: the file is corrupt")]
    Checksum,
    /// A field holds an impossible value.
    #[error("binary circuit is malformed: {what}")]
    Malformed {
        /// What is wrong.
        what: String,
    },
    /// The decoded circuit is not well formed.
    #[error("binary circuit is invalid: {0}")]
    Circuit(#[from] CircuitError),
    /// A declared size exceeds its limit (see [`crate::limits`]); nothing was allocated for it.
    #[error("binary circuit: {0}")]
    Limit(#[from] LimitError),
}

fn put(out: &mut Vec<u8>, v: u64) {
    out.put_uleb(v);
}

fn put_values(out: &mut Vec<u8>, values: &[IoValue]) {
    put(out, values.len() as u64);
    for v in values {
        put(out, v.name.len() as u64);
        out.extend_from_slice(v.name.as_bytes());
        out.push(match v.party {
            None => 0,
            Some(Party::Garbler) => 1,
            Some(Party::Evaluator) => 2,
        });
        match v.format {
            ValueFormat::Bool => out.push(0),
            ValueFormat::Signed { width, frac } => {
                out.push(1);
                put(out, width.into());
                put(out, frac.into());
            }
            ValueFormat::Unsigned { width, frac } => {
                out.push(2);
                put(out, width.into());
                put(out, frac.into());
            }
        }
    }
}

/// Encodes a circuit.
pub fn write(circuit: &Circuit) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + circuit.gates.len() * 8);
    put_values(&mut out, &circuit.inputs);
    put_values(&mut out, &circuit.outputs);
    put(&mut out, circuit.num_wires.into());
    put(&mut out, circuit.gates.len() as u64);
    for g in &circuit.gates {
        match *g {
            Gate::Xor { a, b, out: o } | Gate::And { a, b, out: o } => {
                out.push(if matches!(g, Gate::Xor { .. }) { 0 } else { 1 });
                put(&mut out, a.into());
                put(&mut out, b.into());
                put(&mut out, o.into());
            }
            Gate::Inv { a, out: o } => {
                out.push(2);
                put(&mut out, a.into());
                put(&mut out, o.into());
            }
        }
    }
    put(&mut out, circuit.output_wires.len() as u64);
    for &w in &circuit.output_wires {
        put(&mut out, w.into());
    }
    BINARY_FILE.seal(&out)
}

/// The circuit's view of the one bounded [`Reader`]: its errors as [`BinaryError`]s.
struct Body<'a> {
    r: Reader<'a>,
}

impl Body<'_> {
    fn byte(&mut self, what: &'static str) -> Result<u8, BinaryError> {
        self.r.u8(what).map_err(|_| BinaryError::Truncated { what })
    }

    fn varint(&mut self, what: &'static str) -> Result<u64, BinaryError> {
        self.r.uleb(what).map_err(|e| {
            if e.reason.starts_with("truncated") {
                BinaryError::Truncated { what }
            } else {
                BinaryError::Malformed {
                    what: format!("{what}: {}", e.reason),
                }
            }
        })
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, BinaryError> {
        let v = self.varint(what)?;
        u32::try_from(v).map_err(|_| BinaryError::Malformed {
            what: format!("{what} {v} exceeds 32 bits"),
        })
    }

    /// A count of items each taking at least one byte: checked against `limit`, then
    /// bounded by the bytes left.
    fn count(&mut self, what: &'static str, limit: u64) -> Result<usize, BinaryError> {
        let v = self.varint(what)?;
        limits::check(what, v, limit)?;
        if v > self.r.remaining() as u64 {
            return Err(BinaryError::Truncated { what });
        }
        Ok(v as usize)
    }

    fn values(&mut self, what: &'static str) -> Result<Vec<IoValue>, BinaryError> {
        let n = self.count(what, limits::MAX_IO_VALUES)?;
        let mut values = Vec::with_capacity(n);
        for _ in 0..n {
            let len = self.count("value name length", limits::MAX_NAME_BYTES)?;
            let name = self
                .r
                .take("value name", len)
                .map_err(|_| BinaryError::Truncated { what: "value name" })?;
            let name = std::str::from_utf8(name)
                .map_err(|_| BinaryError::Malformed {
                    what: "a value name is not UTF-8".into(),
                })?
                .to_string();
            let party = match self.byte("a party")? {
                0 => None,
                1 => Some(Party::Garbler),
                2 => Some(Party::Evaluator),
                p => {
                    return Err(BinaryError::Malformed {
                        what: format!("party code {p}"),
                    });
                }
            };
            let format = match self.byte("a value format")? {
                0 => ValueFormat::Bool,
                k @ (1 | 2) => {
                    let width = self.u32("a width")?;
                    limits::check("value width", width.into(), limits::MAX_VALUE_WIDTH)?;
                    let frac = self.u32("a fractional length")?;
                    limits::check("fractional bits", frac.into(), limits::MAX_FRAC_BITS)?;
                    if k == 1 {
                        ValueFormat::Signed { width, frac }
                    } else {
                        ValueFormat::Unsigned { width, frac }
                    }
                }
                f => {
                    return Err(BinaryError::Malformed {
                        what: format!("format code {f}"),
                    });
                }
            };
            values.push(IoValue {
                name,
                party,
                format,
            });
        }
        Ok(values)
    }
}

/// The envelope's refusal as a [`BinaryError`].
fn envelope_error(data: &[u8], e: DecodeError) -> BinaryError {
    match e.field.as_str() {
        "magic" if data.starts_with(b"GCNC") => BinaryError::UnsupportedVersion {
            found: data
                .get(4..6)
                .map_or(1, |v| u32::from(u16::from_le_bytes([v[0], v[1]]))),
        },
        "magic" => BinaryError::BadMagic,
        "version" if e.reason.starts_with("truncated") => BinaryError::Truncated {
            what: "the version",
        },
        "version" => BinaryError::UnsupportedVersion {
            found: data
                .get(8..12)
                .map_or(0, |v| u32::from_le_bytes([v[0], v[1], v[2], v[3]])),
        },
        "checksum" => BinaryError::Checksum,
        _ if e.reason.contains("truncated") => BinaryError::Truncated { what: "the body" },
        _ => BinaryError::Malformed {
            what: format!("{} at byte {}: {}", e.field, e.offset, e.reason),
        },
    }
}

/// Decodes a circuit, checking the envelope (magic, version, length, checksum) and the
/// structure.
pub fn read(data: &[u8]) -> Result<Circuit, BinaryError> {
    let mut r = Body {
        r: BINARY_FILE
            .open(data)
            .map_err(|e| envelope_error(data, e))?,
    };
    let inputs = r.values("input value count")?;
    let outputs = r.values("output value count")?;
    let num_wires = r.u32("wire count")?;
    limits::check("wire count", num_wires.into(), limits::MAX_WIRES)?;
    let n_gates = r.count("gate count", limits::MAX_GATES)?;
    let in_bits: u64 = inputs.iter().map(|v| u64::from(v.format.width())).sum();
    let out_bits: u64 = outputs.iter().map(|v| u64::from(v.format.width())).sum();
    if in_bits > u64::from(num_wires) || u64::from(num_wires) > in_bits + n_gates as u64 {
        return Err(BinaryError::Malformed {
            what: format!("{num_wires} wires for {in_bits} input bits and {n_gates} gates"),
        });
    }
    let mut gates = Vec::with_capacity(n_gates);
    for _ in 0..n_gates {
        let op = r.byte("a gate")?;
        gates.push(match op {
            0 | 1 => {
                let (a, b, out) = (
                    r.u32("a gate wire")?,
                    r.u32("a gate wire")?,
                    r.u32("a gate wire")?,
                );
                if op == 0 {
                    Gate::Xor { a, b, out }
                } else {
                    Gate::And { a, b, out }
                }
            }
            2 => Gate::Inv {
                a: r.u32("a gate wire")?,
                out: r.u32("a gate wire")?,
            },
            o => {
                return Err(BinaryError::Malformed {
                    what: format!("gate code {o}"),
                });
            }
        });
    }
    let n_out = r.count("output wire count", limits::MAX_WIRES)?;
    if n_out as u64 != out_bits {
        return Err(BinaryError::Malformed {
            what: format!("{n_out} output wires for {out_bits} output bits"),
        });
    }
    let output_wires = (0..n_out)
        .map(|_| r.u32("an output wire"))
        .collect::<Result<Vec<_>, _>>()?;
    if r.r.remaining() != 0 {
        return Err(BinaryError::Malformed {
            what: format!("{} trailing bytes", r.r.remaining()),
        });
    }
    let circuit = Circuit {
        inputs,
        outputs,
        num_wires,
        gates,
        output_wires,
    };
    circuit.validate()?;
    Ok(circuit)
}
