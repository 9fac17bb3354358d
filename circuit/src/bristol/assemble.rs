//! Resolving the gate lines of a Bristol file into a [`Circuit`]: wires checked, constants
//! folded, `EQW` aliases followed, `MAND` split, constant outputs materialised.

use super::BristolError;
use super::parse::RawOp;
use crate::circuit::{Circuit, Gate, IoValue, ValueFormat, WireId};

/// What a file wire holds while the circuit is assembled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Src {
    Unwritten,
    Const(bool),
    Wire(WireId),
}

/// Resolves raw gates over `num_wires` file wires into a [`Circuit`], keeping file wire
/// numbers (constants are folded, `EQW` becomes an alias).
pub(super) fn assemble(
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
