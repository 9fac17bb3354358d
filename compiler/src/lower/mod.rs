//! Lowering of the DSL's core IR to gates, with value-range narrowing.
//!
//! Every numeric value is held as a [`Word`] of exactly the bits its value range needs
//! (unsigned when it cannot be negative) plus that [`Range`]. Each operation computes its
//! exact result modulo 2^w, where w is the width of the result's range: since the exact
//! result fits, the bits are the exact value, and no bit outside the range is computed.
//! Inside an `if` arm the condition is assumed (path-sensitive ranges): `if ax <= 1.52`
//! narrows `ax` — and, backwards through casts, `abs`, negation and constant offsets, the
//! values it came from — for the arm's nodes, because the arm's value is discarded when
//! the condition is false. See [`crate::PassOptions`] for the switches.
//!
//! The lowering is one [`Lowerer`] walking the program; its methods are grouped by concern:
//! - this file: the entry points, the value environment (a value's word and range, narrowed
//!   to its range) and the program-wide tables (definitions, use counts, users);
//! - [`nodes`]: one core IR node at a time (constants, casts, unary operations, shifts);
//! - [`arith`]: binary operations on words (add, subtract, multiply, min/max, comparisons);
//! - [`fusion`]: deferred carry-save sums (one column compression instead of a carry chain
//!   per operation);
//! - [`select`]: `if` as a multiplexer, and the conditional-negation patterns it recognises;
//! - [`path_ranges`]: the ranges an `if` condition implies inside each arm;
//! - [`redundant`]: `if c { k } else { v }` that is just v (v = k whenever c holds).

mod arith;
mod fusion;
mod nodes;
mod path_ranges;
mod redundant;
mod select;

use crate::PassOptions;
use crate::builder::{Bit, BuildError, Builder};
use crate::circuit::{Circuit, IoValue, Party, ValueFormat};
use crate::gadgets::Word;
use crate::range::Range;
use dsl::core::{Node, Op, Program, VarId, for_each_node};
use dsl::{NumTy, Ty};
use fusion::Sum;
use num_bigint::BigInt;
use std::collections::HashMap;

/// An error lowering a core program (a malformed program: a bug in its producer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LowerError {
    /// A variable is used before it is defined, or has the wrong kind.
    #[error("malformed core program: variable {var} {problem}")]
    Malformed {
        /// The variable.
        var: VarId,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// Exporting the gates failed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The program lowers to more gates than [`crate::limits::MAX_LOWERED_NODES`].
    #[error("program too large: more than {limit} gates (stopped at variable {var})")]
    TooLarge {
        /// The variable being lowered when the limit was passed.
        var: VarId,
        /// The limit.
        limit: usize,
    },
}

/// A lowered value.
#[derive(Clone, Debug)]
enum Val {
    Bool(Bit),
    Num {
        word: Word,
        range: Range,
    },
    /// A sum not yet reduced to one word (fused sums: see [`Sum`]).
    Sum(Sum),
}

/// The circuit format of a DSL type.
pub fn value_format(ty: Ty) -> ValueFormat {
    match ty {
        Ty::Bool => ValueFormat::Bool,
        Ty::Num(n) if n.signed => ValueFormat::Signed {
            width: n.width,
            frac: n.frac,
        },
        Ty::Num(n) => ValueFormat::Unsigned {
            width: n.width,
            frac: n.frac,
        },
    }
}

/// Lowers a checked program to a circuit.
pub fn lower(program: &Program, options: &PassOptions) -> Result<Circuit, LowerError> {
    lower_with_limit(program, options, crate::limits::MAX_LOWERED_NODES)
}

/// [`lower`] giving up with [`LowerError::TooLarge`] once more than `max_nodes` gate-builder
/// nodes exist (checked after each core IR node; one node adds at most a few 10⁵ gates).
pub fn lower_with_limit(
    program: &Program,
    options: &PassOptions,
    max_nodes: usize,
) -> Result<Circuit, LowerError> {
    let (b, outputs, bits) = lower_to_builder(program, options, max_nodes)?;
    Ok(b.finish(outputs, &bits)?)
}

/// Where the ANDs of `program`'s circuit come from: for each core variable whose lowering
/// built ANDs the circuit keeps, how many (sorted by variable; a deferred sum's reduction
/// counts for the sum's variable). The counts add up to the circuit's AND count.
pub fn and_breakdown(
    program: &Program,
    options: &PassOptions,
) -> Result<Vec<(VarId, usize)>, LowerError> {
    let (b, _, bits) = lower_to_builder(program, options, crate::limits::MAX_LOWERED_NODES)?;
    Ok(b.live_ands_by_tag(&bits))
}

/// The builder after lowering `program`, with the output values and their bits.
fn lower_to_builder(
    program: &Program,
    options: &PassOptions,
    max_nodes: usize,
) -> Result<(Builder, Vec<IoValue>, Vec<Bit>), LowerError> {
    let mut lw = Lowerer {
        max_nodes,
        b: Builder::new(options.build_options()),
        opts: *options,
        env: vec![None; program.num_vars as usize],
        tys: program.var_types(),
        defs: HashMap::new(),
        inputs: Vec::new(),
        uses: vec![0; program.num_vars as usize],
        users: HashMap::new(),
    };
    for_each_node(&program.body, &mut |n| {
        lw.defs.insert(n.var, n);
    });
    count_uses(&program.body, &mut lw.uses);
    for (&v, node) in &lw.defs {
        let operands: Vec<VarId> = match &node.op {
            Op::Cast(x) | Op::Unary(_, x) | Op::Shl(x, _) | Op::Shr(x, _) => vec![*x],
            Op::Binary(_, x, y) => vec![*x, *y],
            _ => Vec::new(),
        };
        for x in operands {
            lw.users.entry(x).or_default().push(v);
        }
    }
    for out in &program.outputs {
        if let Some(u) = lw.uses.get_mut(out.var as usize) {
            *u += 1;
        }
    }
    for input in &program.inputs {
        let party = match input.party {
            dsl::Party::Garbler => Party::Garbler,
            dsl::Party::Evaluator => Party::Evaluator,
        };
        let value = IoValue {
            name: input.name.clone(),
            party: Some(party),
            format: value_format(input.ty),
        };
        let bits = lw.b.input(value);
        let val = match input.ty {
            Ty::Bool => Val::Bool(bits.first().copied().unwrap_or(Bit::FALSE)),
            Ty::Num(n) => Val::Num {
                word: Word::new(bits, n.signed),
                range: Range::of_type(n),
            },
        };
        lw.inputs.push(val);
    }
    lw.nodes(&program.body)?;
    let mut outputs = Vec::new();
    let mut bits = Vec::new();
    for out in &program.outputs {
        outputs.push(IoValue {
            name: out.name.clone(),
            party: None,
            format: value_format(out.ty),
        });
        match (lw.get(out.var)?, out.ty) {
            (Val::Bool(b), _) => bits.push(b),
            (Val::Num { word, .. }, Ty::Num(n)) => {
                bits.extend(word.resize(n.width as usize, n.signed).bits)
            }
            (Val::Num { .. } | Val::Sum(_), _) => {
                return Err(malformed(out.var, "is a number but the output is bool"));
            }
        }
    }
    Ok((lw.b, outputs, bits))
}

fn malformed(var: VarId, problem: &'static str) -> LowerError {
    LowerError::Malformed { var, problem }
}

/// How often each variable is read by the nodes of `nodes` (arms included).
fn count_uses(nodes: &[Node], uses: &mut [u32]) {
    let mut used = |v: VarId| {
        if let Some(u) = uses.get_mut(v as usize) {
            *u += 1;
        }
    };
    for_each_node(nodes, &mut |n| match &n.op {
        Op::Input(_) | Op::Const(_) => {}
        Op::Cast(x) | Op::Unary(_, x) | Op::Shl(x, _) | Op::Shr(x, _) => used(*x),
        Op::Binary(_, x, y) => {
            used(*x);
            used(*y);
        }
        Op::If {
            cond,
            then_block,
            else_block,
        } => {
            used(*cond);
            used(then_block.result);
            used(else_block.result);
        }
    });
}

/// The range of a node's value: the computed exact range when the node's type holds it,
/// else the whole type (the value then wraps into the type, as the interpreter does).
fn clamp_range(r: Range, full: Range) -> Range {
    if r.within(&full) { r } else { full }
}

/// A word holding the constant `v` in the smallest shape (or `shape` if given).
fn const_word(v: &BigInt, width: usize, signed: bool) -> Word {
    Word::new(
        (0..width).map(|i| Bit::constant(v.bit(i as u64))).collect(),
        signed,
    )
}

struct Lowerer<'p> {
    b: Builder,
    /// Most builder nodes before [`LowerError::TooLarge`].
    max_nodes: usize,
    opts: PassOptions,
    env: Vec<Option<Val>>,
    tys: Vec<Ty>,
    defs: HashMap<VarId, &'p Node>,
    inputs: Vec<Val>,
    uses: Vec<u32>,
    /// For each variable, the variables whose operations read it.
    users: HashMap<VarId, Vec<VarId>>,
}

impl<'p> Lowerer<'p> {
    /// The value of `v` as stored (a [`Val::Sum`] stays deferred).
    fn get_raw(&self, v: VarId) -> Result<Val, LowerError> {
        self.env
            .get(v as usize)
            .cloned()
            .flatten()
            .ok_or(malformed(v, "is used before it is defined"))
    }

    /// The value of `v`, reducing a deferred sum (once: the result replaces it).
    fn get(&mut self, v: VarId) -> Result<Val, LowerError> {
        match self.get_raw(v)? {
            Val::Sum(sum) => {
                let tag = self.b.set_tag(v);
                let val = self.reduce(sum);
                self.b.set_tag(tag);
                self.env[v as usize] = Some(val.clone());
                Ok(val)
            }
            val => Ok(val),
        }
    }

    fn num(&mut self, v: VarId) -> Result<(Word, Range), LowerError> {
        match self.get(v)? {
            Val::Num { word, range } => Ok((word, range)),
            _ => Err(malformed(v, "is bool where a number is needed")),
        }
    }

    fn bool(&mut self, v: VarId) -> Result<Bit, LowerError> {
        match self.get(v)? {
            Val::Bool(b) => Ok(b),
            _ => Err(malformed(v, "is a number where a bool is needed")),
        }
    }

    /// The range of a numeric value (deferred or not).
    fn range_of(&self, v: VarId) -> Option<Range> {
        match self.env.get(v as usize) {
            Some(Some(Val::Num { range, .. })) => Some(range.clone()),
            Some(Some(Val::Sum(s))) => Some(s.range.clone()),
            _ => None,
        }
    }

    fn frac(&self, v: VarId) -> u32 {
        self.tys
            .get(v as usize)
            .and_then(Ty::num)
            .map_or(0, |n| n.frac)
    }

    /// The value with exact bits `word` (any width holding it) and computed range `r`,
    /// narrowed to the range (intersected with the node's type).
    fn make(&self, word: Word, r: Range, ty: NumTy) -> Val {
        let range = self.node_range(r, ty);
        if self.opts.range
            && let Some(v) = range.as_point()
        {
            let (w, s) = range.word_shape();
            return Val::Num {
                word: const_word(v, w, s),
                range,
            };
        }
        let (w, s) = range.word_shape();
        Val::Num {
            word: word.resize(w, s),
            range,
        }
    }

    /// The range a node of type `ty` with computed range `r` is held at: `r` clamped to the
    /// type ([`clamp_range`]), or the whole type when range analysis is off.
    fn node_range(&self, r: Range, ty: NumTy) -> Range {
        let full = Range::of_type(ty);
        if self.opts.range {
            clamp_range(r, full)
        } else {
            full
        }
    }

    /// Result width and signedness for range `r` at type `ty`.
    fn shape(&self, r: &Range, ty: NumTy) -> (usize, bool) {
        if self.opts.range {
            let full = Range::of_type(ty);
            clamp_range(r.clone(), full).word_shape()
        } else {
            (ty.width as usize, ty.signed)
        }
    }

    /// The constant value of `v`, if known.
    fn const_value(&self, v: VarId) -> Option<BigInt> {
        if self.opts.range
            && let Some(r) = self.range_of(v)
            && let Some(c) = r.as_point()
        {
            return Some(c.clone());
        }
        match self.get_raw(v).ok()? {
            Val::Num { word, .. } => word.as_const().map(BigInt::from),
            _ => None,
        }
    }
}
