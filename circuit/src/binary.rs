//! The compact binary circuit format: versioned, with a SHA-256 checksum.
//!
//! Layout: magic `GCNC`, version (u16 LE), then LEB128 varints: input values, output
//! values (name, party, format each), wire count, gate count, gates (op byte, wires),
//! output wires; last the SHA-256 of everything before it (32 bytes). Names, parties and
//! formats travel inside, so no side file is needed.

use crate::circuit::{Circuit, CircuitError, Gate, IoValue, Party, ValueFormat};
use crate::limits::{self, LimitError};
use sha2::{Digest, Sha256};

/// File magic.
pub const MAGIC: &[u8; 4] = b"GCNC";
/// Current format version.
pub const VERSION: u16 = 1;
const CHECKSUM_LEN: usize = 32;

/// An error reading a binary circuit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BinaryError {
    /// The data does not start with the magic bytes.
    #[error("not a gcc-nn binary circuit (bad magic bytes)")]
    BadMagic,
    /// A version this build cannot read.
    #[error("binary circuit version {found} is not supported (this build reads version {VERSION})")]
    UnsupportedVersion {
        /// Version found.
        found: u16,
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

fn put(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
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
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
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
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self, what: &'static str) -> Result<u8, BinaryError> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or(BinaryError::Truncated { what })?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self, what: &'static str) -> Result<u64, BinaryError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte(what)?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(BinaryError::Malformed {
            what: format!("{what}: varint longer than 64 bits"),
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
        if v > (self.data.len() - self.pos) as u64 {
            return Err(BinaryError::Truncated { what });
        }
        Ok(v as usize)
    }

    fn values(&mut self, what: &'static str) -> Result<Vec<IoValue>, BinaryError> {
        let n = self.count(what, limits::MAX_IO_VALUES)?;
        let mut values = Vec::with_capacity(n);
        for _ in 0..n {
            let len = self.count("value name length", limits::MAX_NAME_BYTES)?;
            let name = std::str::from_utf8(&self.data[self.pos..self.pos + len])
                .map_err(|_| BinaryError::Malformed {
                    what: "a value name is not UTF-8".into(),
                })?
                .to_string();
            self.pos += len;
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

/// Decodes a circuit, checking magic, version, checksum and structure.
pub fn read(data: &[u8]) -> Result<Circuit, BinaryError> {
    if data.len() < MAGIC.len() || &data[..MAGIC.len()] != MAGIC {
        return Err(BinaryError::BadMagic);
    }
    if data.len() < 6 {
        return Err(BinaryError::Truncated {
            what: "the version",
        });
    }
    let version = u16::from_le_bytes([data[4], data[5]]);
    if version != VERSION {
        return Err(BinaryError::UnsupportedVersion { found: version });
    }
    if data.len() < 6 + CHECKSUM_LEN {
        return Err(BinaryError::Truncated {
            what: "the checksum",
        });
    }
    let (body, sum) = data.split_at(data.len() - CHECKSUM_LEN);
    if Sha256::digest(body).as_slice() != sum {
        return Err(BinaryError::Checksum);
    }
    let mut r = Reader { data: body, pos: 6 };
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
    if r.pos != body.len() {
        return Err(BinaryError::Malformed {
            what: format!("{} trailing bytes", body.len() - r.pos),
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
