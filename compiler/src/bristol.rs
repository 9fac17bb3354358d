//! Bristol Fashion and old Bristol format: reader and writer.
//!
//! Bristol Fashion (Archer, Smart et al.):
//! ```text
//! <ngates> <nwires>
//! <niv> <ni_1> .. <ni_niv>      input values and their widths
//! <nov> <no_1> .. <no_nov>      output values and their widths
//!
//! <#in> <#out> <in wires..> <out wires..> <OP>   OP in XOR AND INV EQ EQW MAND
//! ```
//! The old Bristol format has `<n1> <n2> <n3>` on line 2 (two input widths and one output
//! width) and no line 3. In both, inputs occupy the first wires and the outputs are the
//! last wires. The reader accepts all six operations (`EQ` constants are folded away,
//! `EQW` becomes a wire alias, `MAND` is split into ANDs) and tolerates any whitespace
//! and blank lines. The writer emits the basic XOR/AND/INV form.
//!
//! Bit order: the format fixes none. gcc-nn reads bits LSB-first within a value, two's
//! complement for signed formats; files from other tools keep their own order (see
//! `compiler/tests/data/bristol/README.md`). Values carry no party; see [`crate::meta`].

use crate::circuit::{Circuit, CircuitError, Gate, IoValue, ValueFormat, WireId};
use crate::limits::{self, LimitError};
use std::fmt::Write as _;

/// An error reading a Bristol file: names the line (1-based) and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BristolError {
    /// A line does not have the expected shape.
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// The file ended before the header was complete.
    #[error("file ends inside the header (expected {expected})")]
    TruncatedHeader {
        /// What the reader was looking for.
        expected: &'static str,
    },
    /// The header's gate count differs from the gate lines present.
    #[error("header declares {declared} gates but the file has {found} gate lines")]
    GateCount {
        /// Gates declared on line 1.
        declared: u64,
        /// Gate lines found.
        found: u64,
    },
    /// The header's wire count is inconsistent with inputs, gates and outputs.
    #[error("header declares {declared} wires: {message}")]
    WireCount {
        /// Wires declared on line 1.
        declared: u64,
        /// Why the number cannot be right.
        message: String,
    },
    /// A gate names a wire beyond the declared count.
    #[error("line {line}: wire {wire} is out of range (the header declares {num_wires} wires)")]
    WireOutOfRange {
        /// 1-based line number.
        line: usize,
        /// Offending wire.
        wire: u64,
        /// Declared wire count.
        num_wires: u64,
    },
    /// A gate reads a wire no input or earlier gate wrote.
    #[error("line {line}: wire {wire} is read before any gate writes it")]
    ReadBeforeWrite {
        /// 1-based line number.
        line: usize,
        /// Offending wire.
        wire: u64,
    },
    /// A gate writes a wire that is already written.
    #[error("line {line}: wire {wire} is written twice")]
    WrittenTwice {
        /// 1-based line number.
        line: usize,
        /// Offending wire.
        wire: u64,
    },
    /// An output wire is never written.
    #[error("output wire {wire} is never written")]
    OutputNotWritten {
        /// Offending wire.
        wire: u64,
    },
    /// A constant output in a circuit with no input wire to build it from.
    #[error(
        "output bit {index} is constant but the circuit has no input wire to derive a constant from"
    )]
    ConstantWithoutInputs {
        /// Position among the output bits.
        index: usize,
    },
    /// The assembled circuit is malformed.
    #[error("invalid circuit: {0}")]
    Circuit(#[from] CircuitError),
    /// A declared size exceeds its limit (see [`crate::limits`]); nothing was allocated for it.
    #[error("Bristol header: {0}")]
    Limit(#[from] LimitError),
}

/// One gate line as read, before wires are resolved.
#[derive(Debug, Clone)]
enum RawOp {
    Xor(u64, u64, u64),
    And(u64, u64, u64),
    Inv(u64, u64),
    Eq(bool, u64),
    Eqw(u64, u64),
    Mand(Vec<(u64, u64, u64)>),
}

/// A tokenised non-empty line with its 1-based number.
struct Line<'a> {
    number: usize,
    tokens: Vec<&'a str>,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let tokens: Vec<&str> = l.split_ascii_whitespace().collect();
        (!tokens.is_empty()).then_some(Line {
            number: i + 1,
            tokens,
        })
    })
}

fn number(line: usize, token: &str, what: &str) -> Result<u64, BristolError> {
    token.parse::<u64>().map_err(|_| BristolError::Syntax {
        line,
        message: format!("expected {what} (a non-negative integer), found `{token}`"),
    })
}

fn syntax(line: usize, message: impl Into<String>) -> BristolError {
    BristolError::Syntax {
        line,
        message: message.into(),
    }
}

/// Parses `<count> <w_1> .. <w_count>` (a list of value widths).
fn width_list(line: &Line<'_>, what: &str) -> Result<Vec<u64>, BristolError> {
    let count = number(
        line.number,
        line.tokens[0],
        &format!("number of {what} values"),
    )?;
    limits::check(
        if what == "input" {
            "input value count"
        } else {
            "output value count"
        },
        count,
        limits::MAX_IO_VALUES,
    )?;
    if (line.tokens.len() - 1) as u64 != count {
        return Err(syntax(
            line.number,
            format!(
                "declares {count} {what} values but lists {} widths",
                line.tokens.len() - 1
            ),
        ));
    }
    line.tokens[1..]
        .iter()
        .map(|t| number(line.number, t, &format!("{what} width")))
        .collect()
}

fn parse_gate(line: &Line<'_>) -> Result<RawOp, BristolError> {
    let n = line.number;
    let t = &line.tokens;
    if t.len() < 3 {
        return Err(syntax(
            n,
            format!(
                "expected a gate `<#in> <#out> <wires..> <OP>`, found `{}`",
                t.join(" ")
            ),
        ));
    }
    let n_in = number(n, t[0], "gate input count")?;
    let n_out = number(n, t[1], "gate output count")?;
    let op = t[t.len() - 1];
    let expected_len = n_in.saturating_add(n_out).saturating_add(3);
    if t.len() as u64 != expected_len {
        return Err(syntax(
            n,
            format!(
                "gate declares {n_in} inputs and {n_out} outputs but lists {} wires",
                t.len() - 3
            ),
        ));
    }
    let args: Vec<u64> = t[2..t.len() - 1]
        .iter()
        .map(|w| number(n, w, "wire number"))
        .collect::<Result<_, BristolError>>()?;
    let arity = |i: u64, o: u64| -> Result<(), BristolError> {
        if (n_in, n_out) == (i, o) {
            Ok(())
        } else {
            Err(syntax(
                n,
                format!("{op} takes {i} inputs and {o} outputs, found {n_in} and {n_out}"),
            ))
        }
    };
    match op {
        "XOR" => arity(2, 1).map(|()| RawOp::Xor(args[0], args[1], args[2])),
        "AND" => arity(2, 1).map(|()| RawOp::And(args[0], args[1], args[2])),
        "INV" | "NOT" => arity(1, 1).map(|()| RawOp::Inv(args[0], args[1])),
        "EQW" => arity(1, 1).map(|()| RawOp::Eqw(args[0], args[1])),
        "EQ" => {
            arity(1, 1)?;
            match args[0] {
                0 | 1 => Ok(RawOp::Eq(args[0] == 1, args[1])),
                v => Err(syntax(n, format!("EQ takes a constant 0 or 1, found {v}"))),
            }
        }
        "MAND" => {
            if n_out == 0 || n_in != 2 * n_out {
                return Err(syntax(
                    n,
                    format!("MAND takes 2k inputs and k outputs, found {n_in} and {n_out}"),
                ));
            }
            let k = n_out as usize;
            Ok(RawOp::Mand(
                (0..k)
                    .map(|i| (args[i], args[k + i], args[2 * k + i]))
                    .collect(),
            ))
        }
        other => Err(syntax(
            n,
            format!("unknown operation `{other}` (expected XOR, AND, INV, EQ, EQW or MAND)"),
        )),
    }
}

/// What a file wire holds while the circuit is assembled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Src {
    Unwritten,
    Const(bool),
    Wire(WireId),
}

/// Resolves raw gates over `num_wires` file wires into a [`Circuit`], keeping file wire
/// numbers (constants are folded, `EQW` becomes an alias).
fn assemble(
    num_wires: u64,
    input_widths: &[u64],
    output_widths: &[u64],
    gates: Vec<(usize, RawOp)>,
) -> Result<Circuit, BristolError> {
    let n_in: u64 = input_widths.iter().sum();
    let n_out: u64 = output_widths.iter().sum();
    let written_by_gates: u64 = gates
        .iter()
        .map(|(_, g)| match g {
            RawOp::Mand(v) => v.len() as u64,
            _ => 1,
        })
        .sum();
    // Bound the header by what the file can actually write before allocating per-wire state.
    if num_wires > n_in + written_by_gates {
        return Err(BristolError::WireCount {
            declared: num_wires,
            message: format!("only {n_in} input wires and {written_by_gates} gate outputs exist"),
        });
    }
    if n_in > num_wires || n_out > num_wires {
        return Err(BristolError::WireCount {
            declared: num_wires,
            message: format!("fewer than the {n_in} input or {n_out} output wires"),
        });
    }
    if num_wires + 2 > u64::from(u32::MAX) {
        return Err(BristolError::WireCount {
            declared: num_wires,
            message: "too many for 32-bit wire ids".into(),
        });
    }
    let nw = num_wires as usize;
    let mut src = vec![Src::Unwritten; nw];
    for (i, s) in src.iter_mut().enumerate().take(n_in as usize) {
        *s = Src::Wire(i as WireId);
    }
    let mut out_gates: Vec<Gate> = Vec::with_capacity(gates.len());
    for (line, op) in gates {
        let get = |w: u64, src: &[Src]| -> Result<Src, BristolError> {
            match src.get(w as usize) {
                None => Err(BristolError::WireOutOfRange {
                    line,
                    wire: w,
                    num_wires,
                }),
                Some(Src::Unwritten) => Err(BristolError::ReadBeforeWrite { line, wire: w }),
                Some(s) => Ok(*s),
            }
        };
        match op {
            RawOp::Xor(a, b, c) => {
                let (a, b) = (get(a, &src)?, get(b, &src)?);
                // Check the output before emitting a gate for it.
                get_unwritten(c, &src, line, num_wires)?;
                let v = match (a, b) {
                    (Src::Const(x), Src::Const(y)) => Src::Const(x ^ y),
                    (Src::Const(false), x) | (x, Src::Const(false)) => x,
                    (Src::Const(true), Src::Wire(x)) | (Src::Wire(x), Src::Const(true)) => {
                        out_gates.push(Gate::Inv {
                            a: x,
                            out: c as WireId,
                        });
                        Src::Wire(c as WireId)
                    }
                    (Src::Wire(a), Src::Wire(b)) => {
                        out_gates.push(Gate::Xor {
                            a,
                            b,
                            out: c as WireId,
                        });
                        Src::Wire(c as WireId)
                    }
                    _ => Src::Unwritten,
                };
                set(c, v, &mut src, line, num_wires)?;
            }
            RawOp::And(a, b, c) => {
                let (a, b) = (get(a, &src)?, get(b, &src)?);
                get_unwritten(c, &src, line, num_wires)?;
                emit_and(a, b, c, &mut src, &mut out_gates, line, num_wires)?;
            }
            RawOp::Mand(triples) => {
                // All inputs are read before any output is written.
                let resolved: Vec<(Src, Src, u64)> = triples
                    .iter()
                    .map(|&(a, b, c)| Ok((get(a, &src)?, get(b, &src)?, c)))
                    .collect::<Result<_, BristolError>>()?;
                for (a, b, c) in resolved {
                    get_unwritten(c, &src, line, num_wires)?;
                    emit_and(a, b, c, &mut src, &mut out_gates, line, num_wires)?;
                }
            }
            RawOp::Inv(a, c) => {
                let a = get(a, &src)?;
                get_unwritten(c, &src, line, num_wires)?;
                let v = match a {
                    Src::Const(x) => Src::Const(!x),
                    Src::Wire(x) => {
                        out_gates.push(Gate::Inv {
                            a: x,
                            out: c as WireId,
                        });
                        Src::Wire(c as WireId)
                    }
                    Src::Unwritten => Src::Unwritten,
                };
                set(c, v, &mut src, line, num_wires)?;
            }
            RawOp::Eq(v, c) => set(c, Src::Const(v), &mut src, line, num_wires)?,
            RawOp::Eqw(a, c) => {
                let a = get(a, &src)?;
                set(c, a, &mut src, line, num_wires)?;
            }
        }
    }
    // Outputs: the last n_out wires. Constants are materialised from input wire 0 for free.
    let mut num_wires_out = num_wires as WireId;
    let mut constants: [Option<WireId>; 2] = [None, None];
    let mut output_wires = Vec::with_capacity(n_out as usize);
    for (index, w) in (num_wires - n_out..num_wires).enumerate() {
        let wire = match src[w as usize] {
            Src::Unwritten => return Err(BristolError::OutputNotWritten { wire: w }),
            Src::Wire(x) => x,
            Src::Const(v) => {
                if n_in == 0 {
                    return Err(BristolError::ConstantWithoutInputs { index });
                }
                if constants[0].is_none() {
                    out_gates.push(Gate::Xor {
                        a: 0,
                        b: 0,
                        out: num_wires_out,
                    });
                    constants[0] = Some(num_wires_out);
                    num_wires_out += 1;
                }
                if v && constants[1].is_none() {
                    let zero = constants[0].unwrap_or(0);
                    out_gates.push(Gate::Inv {
                        a: zero,
                        out: num_wires_out,
                    });
                    constants[1] = Some(num_wires_out);
                    num_wires_out += 1;
                }
                constants[usize::from(v)].unwrap_or(0)
            }
        };
        output_wires.push(wire);
    }
    let value = |i: usize, w: &u64| IoValue {
        name: i.to_string(),
        party: None,
        format: ValueFormat::Unsigned {
            width: *w as u32,
            frac: 0,
        },
    };
    let circuit = Circuit {
        inputs: input_widths
            .iter()
            .enumerate()
            .map(|(i, w)| value(i, w))
            .collect(),
        outputs: output_widths
            .iter()
            .enumerate()
            .map(|(i, w)| value(i, w))
            .collect(),
        num_wires: num_wires_out,
        gates: out_gates,
        output_wires,
    };
    circuit.validate()?;
    Ok(circuit)
}

fn set(
    w: u64,
    value: Src,
    src: &mut [Src],
    line: usize,
    num_wires: u64,
) -> Result<(), BristolError> {
    match src.get_mut(w as usize) {
        None => Err(BristolError::WireOutOfRange {
            line,
            wire: w,
            num_wires,
        }),
        Some(slot @ Src::Unwritten) => {
            *slot = value;
            Ok(())
        }
        Some(_) => Err(BristolError::WrittenTwice { line, wire: w }),
    }
}

fn emit_and(
    a: Src,
    b: Src,
    c: u64,
    src: &mut [Src],
    gates: &mut Vec<Gate>,
    line: usize,
    num_wires: u64,
) -> Result<(), BristolError> {
    let v = match (a, b) {
        (Src::Const(false), _) | (_, Src::Const(false)) => Src::Const(false),
        (Src::Const(true), x) | (x, Src::Const(true)) => x,
        (Src::Wire(a), Src::Wire(b)) => {
            gates.push(Gate::And {
                a,
                b,
                out: c as WireId,
            });
            Src::Wire(c as WireId)
        }
        _ => Src::Unwritten,
    };
    set(c, v, src, line, num_wires)
}

fn get_unwritten(w: u64, src: &[Src], line: usize, num_wires: u64) -> Result<(), BristolError> {
    match src.get(w as usize) {
        None => Err(BristolError::WireOutOfRange {
            line,
            wire: w,
            num_wires,
        }),
        Some(Src::Unwritten) => Ok(()),
        Some(_) => Err(BristolError::WrittenTwice { line, wire: w }),
    }
}

/// Reads line 1 (`ngates nwires`).
fn header_counts(line: Option<Line<'_>>) -> Result<(u64, u64), BristolError> {
    let line = line.ok_or(BristolError::TruncatedHeader {
        expected: "`<ngates> <nwires>` on line 1",
    })?;
    if line.tokens.len() != 2 {
        return Err(syntax(
            line.number,
            format!(
                "expected `<ngates> <nwires>`, found `{}`",
                line.tokens.join(" ")
            ),
        ));
    }
    let gates = number(line.number, line.tokens[0], "gate count")?;
    let wires = number(line.number, line.tokens[1], "wire count")?;
    limits::check("gate count", gates, limits::MAX_GATES)?;
    limits::check("wire count", wires, limits::MAX_WIRES)?;
    Ok((gates, wires))
}

fn read_gates<'a>(
    rest: impl Iterator<Item = Line<'a>>,
    declared: u64,
) -> Result<Vec<(usize, RawOp)>, BristolError> {
    let mut gates = Vec::new();
    for line in rest {
        if gates.len() as u64 >= declared {
            return Err(BristolError::GateCount {
                declared,
                found: gates.len() as u64 + 1,
            });
        }
        gates.push((line.number, parse_gate(&line)?));
    }
    if (gates.len() as u64) != declared {
        return Err(BristolError::GateCount {
            declared,
            found: gates.len() as u64,
        });
    }
    Ok(gates)
}

fn check_widths(widths: &[u64]) -> Result<(), BristolError> {
    for &w in widths {
        limits::check("value width", w, limits::MAX_VALUE_WIDTH)?;
    }
    Ok(())
}

/// Reads a Bristol Fashion circuit (all six operations; whitespace-tolerant).
///
/// Inputs and outputs are named `"0"`, `"1"`, … with no party and format
/// `Unsigned { width, frac: 0 }`; apply side information with [`crate::meta`].
pub fn read_fashion(text: &str) -> Result<Circuit, BristolError> {
    let mut it = lines(text);
    let (ngates, nwires) = header_counts(it.next())?;
    let inputs_line = it.next().ok_or(BristolError::TruncatedHeader {
        expected: "the input values on line 2",
    })?;
    let inputs = width_list(&inputs_line, "input")?;
    let outputs_line = it.next().ok_or(BristolError::TruncatedHeader {
        expected: "the output values on line 3",
    })?;
    let outputs = width_list(&outputs_line, "output")?;
    check_widths(&inputs)?;
    check_widths(&outputs)?;
    let gates = read_gates(it, ngates)?;
    assemble(nwires, &inputs, &outputs, gates)
}

/// Reads a circuit in the old Bristol format (line 2: `n1 n2 n3`, two input widths and
/// the output width). A zero-width input is dropped.
pub fn read_old_format(text: &str) -> Result<Circuit, BristolError> {
    let mut it = lines(text);
    let (ngates, nwires) = header_counts(it.next())?;
    let io = it.next().ok_or(BristolError::TruncatedHeader {
        expected: "`<n1> <n2> <n3>` on line 2",
    })?;
    if io.tokens.len() != 3 {
        return Err(syntax(
            io.number,
            format!("expected `<n1> <n2> <n3>`, found `{}`", io.tokens.join(" ")),
        ));
    }
    let n1 = number(io.number, io.tokens[0], "first input width")?;
    let n2 = number(io.number, io.tokens[1], "second input width")?;
    let n3 = number(io.number, io.tokens[2], "output width")?;
    let inputs: Vec<u64> = [n1, n2].into_iter().filter(|&w| w > 0).collect();
    check_widths(&inputs)?;
    check_widths(&[n3])?;
    let gates = read_gates(it, ngates)?;
    assemble(nwires, &inputs, &[n3], gates)
}

/// Writes `circuit` as basic Bristol Fashion (XOR/AND/INV only).
///
/// Wires are renumbered so that the outputs are the last wires, in order. An output bit
/// that is an input wire, or repeats an earlier output bit, is copied by two INV gates.
pub fn write_fashion(circuit: &Circuit) -> String {
    let n_in = circuit.num_input_wires();
    let m = circuit.output_wires.len() as u32;
    // Which output position (if any) each gate-written wire becomes.
    let mut claimed: std::collections::HashMap<WireId, u32> = std::collections::HashMap::new();
    let mut copies: Vec<(u32, WireId)> = Vec::new();
    let gate_written: std::collections::HashSet<WireId> =
        circuit.gates.iter().map(Gate::output).collect();
    for (k, &w) in circuit.output_wires.iter().enumerate() {
        if gate_written.contains(&w) && !claimed.contains_key(&w) {
            claimed.insert(w, k as u32);
        } else {
            copies.push((k as u32, w));
        }
    }
    let inner = circuit.gates.len() as u32 - claimed.len() as u32 + copies.len() as u32;
    let total = n_in + inner + m;
    let first_out = total - m;
    let mut rename: std::collections::HashMap<WireId, WireId> = (0..n_in).map(|i| (i, i)).collect();
    let mut next = n_in;
    let mut body = String::new();
    let mut ngates = 0usize;
    for gate in &circuit.gates {
        let out = gate.output();
        let new = match claimed.get(&out) {
            Some(&k) => first_out + k,
            None => {
                next += 1;
                next - 1
            }
        };
        rename.insert(out, new);
        let r = |w: WireId| rename.get(&w).copied().unwrap_or(w);
        let _ = match *gate {
            Gate::Xor { a, b, .. } => writeln!(body, "2 1 {} {} {new} XOR", r(a), r(b)),
            Gate::And { a, b, .. } => writeln!(body, "2 1 {} {} {new} AND", r(a), r(b)),
            Gate::Inv { a, .. } => writeln!(body, "1 1 {} {new} INV", r(a)),
        };
        ngates += 1;
    }
    for (k, w) in copies {
        let from = rename.get(&w).copied().unwrap_or(w);
        let _ = writeln!(body, "1 1 {from} {next} INV");
        let _ = writeln!(body, "1 1 {next} {} INV", first_out + k);
        next += 1;
        ngates += 2;
    }
    let widths = |vals: &[IoValue]| {
        vals.iter()
            .map(|v| format!(" {}", v.format.width()))
            .collect::<Vec<_>>()
            .concat()
    };
    let mut text = String::with_capacity(body.len() + 64);
    let _ = writeln!(text, "{ngates} {total}");
    let _ = writeln!(text, "{}{}", circuit.inputs.len(), widths(&circuit.inputs));
    let _ = writeln!(
        text,
        "{}{}",
        circuit.outputs.len(),
        widths(&circuit.outputs)
    );
    text.push('\n');
    text.push_str(&body);
    text
}
