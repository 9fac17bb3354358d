//! The reference interpreter: evaluates the core IR on concrete raw values, defining the
//! exact meaning every compiled circuit must reproduce.

use crate::core::{BinOp, Block, Node, Op, Program, UnOp, VarId};
use crate::types::{NumTy, Ty};
use std::cmp::Ordering;
use thiserror::Error;

/// Why a program could not be run on the given inputs.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InterpretError {
    /// Wrong number of input values.
    #[error("the program has {expected} inputs, {given} values were given")]
    InputCount {
        /// Inputs the program declares.
        expected: usize,
        /// Values supplied.
        given: usize,
    },
    /// A named input was not supplied.
    #[error("no value given for input `{0}`")]
    MissingInput(String),
    /// A supplied name is not an input of the program.
    #[error("the program has no input named `{0}`")]
    UnknownInput(String),
    /// The same input was supplied twice.
    #[error("input `{0}` is given more than once")]
    DuplicateInput(String),
    /// A value does not fit its input's type.
    #[error("value {value:#x} for input `{name}` has bits above its {width}-bit type")]
    InputTooWide {
        /// Input name.
        name: String,
        /// The raw value given.
        value: u128,
        /// The input's width.
        width: u32,
    },
    /// The IR is malformed (use of an undefined variable): a bug in the producer.
    #[error("malformed program: variable {0} used before it is defined")]
    Malformed(VarId),
}

/// Runs `program` on raw input values (one per input, in declaration order, as bit
/// patterns: the low `width` bits; a signed value may also be given sign-extended).
/// Returns the raw bit pattern (exactly `width` bits) of each output, in order.
pub fn interpret(program: &Program, inputs: &[u128]) -> Result<Vec<u128>, InterpretError> {
    Interpreter::new(program).run(inputs)
}

/// A program prepared for many runs (caches the variable types).
#[derive(Clone, Debug)]
pub struct Interpreter<'p> {
    program: &'p Program,
    tys: Vec<Ty>,
}

impl<'p> Interpreter<'p> {
    /// Prepares `program`.
    pub fn new(program: &'p Program) -> Interpreter<'p> {
        Interpreter {
            program,
            tys: program.var_types(),
        }
    }

    /// Same as [`interpret`].
    pub fn run(&self, inputs: &[u128]) -> Result<Vec<u128>, InterpretError> {
        run(self.program, &self.tys, inputs)
    }
}

fn run(program: &Program, tys: &[Ty], inputs: &[u128]) -> Result<Vec<u128>, InterpretError> {
    if inputs.len() != program.inputs.len() {
        return Err(InterpretError::InputCount {
            expected: program.inputs.len(),
            given: inputs.len(),
        });
    }
    let mut vals: Vec<Option<u128>> = vec![None; program.num_vars as usize];
    let mut canon_inputs = Vec::with_capacity(inputs.len());
    for (inp, &raw) in program.inputs.iter().zip(inputs) {
        let c = match inp.ty {
            Ty::Bool => {
                if raw > 1 {
                    return Err(InterpretError::InputTooWide {
                        name: inp.name.clone(),
                        value: raw,
                        width: 1,
                    });
                }
                raw
            }
            Ty::Num(n) => {
                let c = n.canon(raw);
                if c != raw && n.bits(raw) != raw {
                    return Err(InterpretError::InputTooWide {
                        name: inp.name.clone(),
                        value: raw,
                        width: n.width,
                    });
                }
                c
            }
        };
        canon_inputs.push(c);
    }
    let mut ev = Eval {
        vals: &mut vals,
        inputs: &canon_inputs,
        tys,
    };
    ev.nodes(&program.body)?;
    program
        .outputs
        .iter()
        .map(|o| {
            let v = ev.get(o.var)?;
            Ok(match o.ty {
                Ty::Bool => v & 1,
                Ty::Num(n) => n.bits(v),
            })
        })
        .collect()
}

/// Like [`interpret`] with inputs given by name; returns `(name, raw)` per output.
pub fn interpret_named(
    program: &Program,
    inputs: &[(&str, u128)],
) -> Result<Vec<(String, u128)>, InterpretError> {
    for (i, (n, _)) in inputs.iter().enumerate() {
        if program.input(n).is_none() {
            return Err(InterpretError::UnknownInput((*n).to_string()));
        }
        if inputs[..i].iter().any(|(m, _)| m == n) {
            return Err(InterpretError::DuplicateInput((*n).to_string()));
        }
    }
    let ordered = program
        .inputs
        .iter()
        .map(|i| {
            inputs
                .iter()
                .find(|(n, _)| *n == i.name)
                .map(|(_, v)| *v)
                .ok_or_else(|| InterpretError::MissingInput(i.name.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let outs = interpret(program, &ordered)?;
    Ok(program
        .outputs
        .iter()
        .zip(outs)
        .map(|(o, v)| (o.name.clone(), v))
        .collect())
}

struct Eval<'v> {
    vals: &'v mut Vec<Option<u128>>,
    inputs: &'v [u128],
    tys: &'v [Ty],
}

/// Orders two canonical values of numeric types (same frac).
fn cmp_num(a: u128, ta: NumTy, b: u128, tb: NumTy) -> Ordering {
    let neg_a = ta.signed && (a as i128) < 0;
    let neg_b = tb.signed && (b as i128) < 0;
    match (neg_a, neg_b) {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (true, true) => (a as i128).cmp(&(b as i128)),
        (false, false) => a.cmp(&b),
    }
}

/// The cast of README §5 on canonical values.
pub(crate) fn cast(v: u128, from: Ty, to: NumTy) -> u128 {
    let (scaled, _) = match from {
        Ty::Bool => {
            let one = if to.frac >= 128 { 0 } else { 1u128 << to.frac };
            (if v & 1 == 1 { one } else { 0 }, ())
        }
        Ty::Num(s) => {
            if to.frac >= s.frac {
                let d = to.frac - s.frac;
                (if d >= 128 { 0 } else { v.wrapping_shl(d) }, ())
            } else {
                let d = s.frac - to.frac;
                (shr_floor(v, s.signed, d), ())
            }
        }
    };
    to.canon(scaled)
}

fn shr_floor(v: u128, signed: bool, d: u32) -> u128 {
    if signed {
        ((v as i128) >> d.min(127)) as u128
    } else if d >= 128 {
        0
    } else {
        v >> d
    }
}

impl Eval<'_> {
    fn get(&self, v: VarId) -> Result<u128, InterpretError> {
        self.vals
            .get(v as usize)
            .copied()
            .flatten()
            .ok_or(InterpretError::Malformed(v))
    }

    fn nodes(&mut self, nodes: &[Node]) -> Result<(), InterpretError> {
        // Types of operands are looked up from the nodes that defined them.
        for n in nodes {
            let v = self.node(n)?;
            if let Some(slot) = self.vals.get_mut(n.var as usize) {
                *slot = Some(v);
            } else {
                return Err(InterpretError::Malformed(n.var));
            }
        }
        Ok(())
    }

    fn block(&mut self, b: &Block) -> Result<u128, InterpretError> {
        self.nodes(&b.nodes)?;
        self.get(b.result)
    }

    fn node(&mut self, n: &Node) -> Result<u128, InterpretError> {
        let canon = |t: Ty, v: u128| match t {
            Ty::Bool => v & 1,
            Ty::Num(nt) => nt.canon(v),
        };
        Ok(match &n.op {
            Op::Input(i) => *self
                .inputs
                .get(*i)
                .ok_or(InterpretError::Malformed(n.var))?,
            Op::Const(raw) => canon(n.ty, *raw),
            Op::Cast(x) => {
                let from = self.ty_of(*x)?;
                match n.ty {
                    Ty::Num(to) => cast(self.get(*x)?, from, to),
                    Ty::Bool => self.get(*x)? & 1,
                }
            }
            Op::Unary(op, x) => {
                let a = self.get(*x)?;
                let ta = self.ty_of(*x)?;
                match op {
                    UnOp::Not => (a & 1) ^ 1,
                    UnOp::Neg => canon(n.ty, a.wrapping_neg()),
                    UnOp::Abs => {
                        let neg = matches!(ta, Ty::Num(t) if t.signed && (a as i128) < 0);
                        canon(n.ty, if neg { a.wrapping_neg() } else { a })
                    }
                    UnOp::Sign => {
                        let neg = matches!(ta, Ty::Num(t) if t.signed && (a as i128) < 0);
                        if neg {
                            u128::MAX
                        } else if a == 0 {
                            0
                        } else {
                            1
                        }
                    }
                }
            }
            Op::Binary(op, x, y) => {
                let (a, b) = (self.get(*x)?, self.get(*y)?);
                let (ta, tb) = (self.ty_of(*x)?, self.ty_of(*y)?);
                let ord = || match (ta, tb) {
                    (Ty::Num(p), Ty::Num(q)) => cmp_num(a, p, b, q),
                    _ => (a & 1).cmp(&(b & 1)),
                };
                match op {
                    BinOp::Add => canon(n.ty, a.wrapping_add(b)),
                    BinOp::Sub => canon(n.ty, a.wrapping_sub(b)),
                    BinOp::Mul => canon(n.ty, a.wrapping_mul(b)),
                    BinOp::Min => canon(n.ty, if ord() == Ordering::Greater { b } else { a }),
                    BinOp::Max => canon(n.ty, if ord() == Ordering::Less { b } else { a }),
                    BinOp::Lt => u128::from(ord() == Ordering::Less),
                    BinOp::Le => u128::from(ord() != Ordering::Greater),
                    BinOp::Gt => u128::from(ord() == Ordering::Greater),
                    BinOp::Ge => u128::from(ord() != Ordering::Less),
                    BinOp::Eq => u128::from(ord() == Ordering::Equal),
                    BinOp::Ne => u128::from(ord() != Ordering::Equal),
                    BinOp::And => a & b & 1,
                    BinOp::Or => (a | b) & 1,
                    BinOp::Xor => (a ^ b) & 1,
                }
            }
            Op::Shl(x, k) => {
                let a = self.get(*x)?;
                canon(n.ty, if *k >= 128 { 0 } else { a.wrapping_shl(*k) })
            }
            Op::Shr(x, k) => {
                let a = self.get(*x)?;
                let signed = matches!(self.ty_of(*x)?, Ty::Num(t) if t.signed);
                canon(n.ty, shr_floor(a, signed, *k))
            }
            Op::If {
                cond,
                then_block,
                else_block,
            } => {
                // Both arms are pure: evaluating only the chosen one gives the same value
                // as the circuit, which computes both and multiplexes.
                if self.get(*cond)? & 1 == 1 {
                    canon(n.ty, self.block(then_block)?)
                } else {
                    canon(n.ty, self.block(else_block)?)
                }
            }
        })
    }

    fn ty_of(&self, v: VarId) -> Result<Ty, InterpretError> {
        self.tys
            .get(v as usize)
            .copied()
            .ok_or(InterpretError::Malformed(v))
    }
}
