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

use crate::PassOptions;
use crate::builder::{Bit, BuildError, Builder};
use crate::circuit::{Circuit, IoValue, Party, ValueFormat};
use crate::gadgets::{self, Word};
use crate::range::Range;
use dsl::core::{BinOp, Block, Node, Op, Program, UnOp, VarId};
use dsl::{NumTy, Ty};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};
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

/// A deferred sum `Σ ±word·2^shift + constant`: additions, subtractions, negations, shifts
/// and constant products of single-use values accumulate here and are reduced by one
/// column compression when a value is needed, instead of one carry chain per operation.
#[derive(Clone, Debug)]
struct Sum {
    terms: Vec<Term>,
    constant: BigInt,
    range: Range,
    ty: NumTy,
    /// False when the value is the sum wrapped into `ty` (it may then not be spliced).
    exact: bool,
}

/// One row of a [`Sum`].
#[derive(Clone, Debug)]
struct Term {
    word: Word,
    shift: usize,
    negative: bool,
}

/// Most rows a fused sum may collect before it is reduced.
const MAX_TERMS: usize = 48;

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
    collect_defs(&program.body, &mut lw.defs);
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
    Ok(lw.b.finish(outputs, &bits)?)
}

fn malformed(var: VarId, problem: &'static str) -> LowerError {
    LowerError::Malformed { var, problem }
}

fn collect_defs<'p>(nodes: &'p [Node], defs: &mut HashMap<VarId, &'p Node>) {
    for n in nodes {
        defs.insert(n.var, n);
        if let Op::If {
            then_block,
            else_block,
            ..
        } = &n.op
        {
            collect_defs(&then_block.nodes, defs);
            collect_defs(&else_block.nodes, defs);
        }
    }
}

fn count_uses(nodes: &[Node], uses: &mut [u32]) {
    fn used(uses: &mut [u32], v: VarId) {
        if let Some(u) = uses.get_mut(v as usize) {
            *u += 1;
        }
    }
    for n in nodes {
        match &n.op {
            Op::Input(_) | Op::Const(_) => {}
            Op::Cast(x) | Op::Unary(_, x) | Op::Shl(x, _) | Op::Shr(x, _) => used(uses, *x),
            Op::Binary(_, x, y) => {
                used(uses, *x);
                used(uses, *y);
            }
            Op::If {
                cond,
                then_block,
                else_block,
            } => {
                used(uses, *cond);
                used(uses, then_block.result);
                used(uses, else_block.result);
                count_uses(&then_block.nodes, uses);
                count_uses(&else_block.nodes, uses);
            }
        }
    }
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

/// `v` wrapped into format `t` (two's complement modulo 2^width).
fn wrap(v: &BigInt, t: NumTy) -> BigInt {
    let m = BigInt::one() << t.width;
    let r = v.mod_floor(&m);
    if t.signed && r >= (&m >> 1u32) {
        r - m
    } else {
        r
    }
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
                let val = self.reduce(sum);
                self.env[v as usize] = Some(val.clone());
                Ok(val)
            }
            val => Ok(val),
        }
    }

    /// Reduces a deferred sum to a word by one column compression.
    fn reduce(&mut self, sum: Sum) -> Val {
        let Sum {
            terms,
            constant,
            range,
            ty,
            ..
        } = sum;
        if let [t] = terms.as_slice()
            && t.shift == 0
            && !t.negative
            && constant.is_zero()
        {
            return self.make(t.word.clone(), range, ty);
        }
        let (w, signed) = self.shape(&range, ty);
        let mut cols = gadgets::Columns::new(w);
        for t in &terms {
            cols.push_word(&t.word, t.shift, t.negative);
        }
        let m = BigInt::one() << 128u32;
        cols.push_constant_bits(u128::try_from(constant.mod_floor(&m)).unwrap_or(0));
        let word = cols.sum(&mut self.b, signed);
        self.make(word, range, ty)
    }

    /// The rows of `v` for a new sum: its own rows if it is a single-use deferred sum,
    /// else its reduced word as one row.
    fn terms_of(&mut self, v: VarId) -> Result<(Vec<Term>, BigInt), LowerError> {
        if let Val::Sum(sum) = self.get_raw(v)?
            && sum.exact
            && self.uses.get(v as usize).copied().unwrap_or(0) <= 1
        {
            return Ok((sum.terms, sum.constant));
        }
        let (word, range) = self.num(v)?;
        if let Some(c) = range.as_point().filter(|_| self.opts.range) {
            return Ok((Vec::new(), c.clone()));
        }
        if let Some(c) = word.as_const() {
            return Ok((Vec::new(), BigInt::from(c)));
        }
        Ok((
            vec![Term {
                word,
                shift: 0,
                negative: false,
            }],
            BigInt::zero(),
        ))
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

    /// A deferred sum for a node of type `ty` with computed range `r` (or its reduction
    /// when fusion is off or the sum grew too long).
    fn sum_val(&mut self, terms: Vec<Term>, constant: BigInt, r: Range, ty: NumTy) -> Val {
        let full = Range::of_type(ty);
        let range = if self.opts.range {
            clamp_range(r, full)
        } else {
            full
        };
        let sum = Sum {
            terms,
            constant,
            range,
            ty,
            exact: true,
        };
        if self.opts.fusion && sum.terms.len() <= MAX_TERMS {
            Val::Sum(sum)
        } else {
            self.reduce(sum)
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
        let full = Range::of_type(ty);
        let range = if self.opts.range {
            clamp_range(r, full)
        } else {
            full
        };
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

    /// Result width and signedness for range `r` at type `ty`.
    fn shape(&self, r: &Range, ty: NumTy) -> (usize, bool) {
        if self.opts.range {
            let full = Range::of_type(ty);
            clamp_range(r.clone(), full).word_shape()
        } else {
            (ty.width as usize, ty.signed)
        }
    }

    fn nodes(&mut self, nodes: &'p [Node]) -> Result<(), LowerError> {
        for n in nodes {
            let v = self.node(n)?;
            if self.b.node_count() > self.max_nodes {
                return Err(LowerError::TooLarge {
                    var: n.var,
                    limit: self.max_nodes,
                });
            }
            match self.env.get_mut(n.var as usize) {
                Some(slot) => *slot = Some(v),
                None => return Err(malformed(n.var, "is out of range")),
            }
        }
        Ok(())
    }

    fn block(&mut self, block: &'p Block) -> Result<Val, LowerError> {
        self.nodes(&block.nodes)?;
        self.get(block.result)
    }

    fn node(&mut self, n: &'p Node) -> Result<Val, LowerError> {
        let nt = match n.ty {
            Ty::Num(t) => Some(t),
            Ty::Bool => None,
        };
        let need_num = || nt.ok_or(malformed(n.var, "has type bool but a numeric operation"));
        Ok(match &n.op {
            Op::Input(i) => self
                .inputs
                .get(*i)
                .cloned()
                .ok_or(malformed(n.var, "names a missing input"))?,
            Op::Const(raw) => match n.ty {
                Ty::Bool => Val::Bool(Bit::constant(raw & 1 == 1)),
                Ty::Num(t) => {
                    let v = t.to_bigint(*raw);
                    let (w, s) = if self.opts.range {
                        Range::point(v.clone()).word_shape()
                    } else {
                        (t.width as usize, t.signed)
                    };
                    let word = const_word(&v, w, s);
                    let range = if self.opts.range {
                        Range::point(v)
                    } else {
                        Range::of_type(t)
                    };
                    Val::Num { word, range }
                }
            },
            Op::Cast(x) => self.cast(*x, n)?,
            Op::Unary(UnOp::Not, x) => Val::Bool(!self.bool(*x)?),
            Op::Unary(UnOp::Neg, x) if self.opts.fusion && self.range_of(*x).is_some() => {
                let t = need_num()?;
                let r = self.range_of(*x).unwrap_or_else(|| Range::of_type(t)).neg();
                let (terms, c) = self.terms_of(*x)?;
                let terms = terms
                    .into_iter()
                    .map(|term| Term {
                        negative: !term.negative,
                        ..term
                    })
                    .collect();
                self.sum_val(terms, -c, r, t)
            }
            Op::Unary(op, x) => {
                let t = need_num()?;
                let (word, r) = self.num(*x)?;
                self.unary(*op, word, r, t)
            }
            Op::Binary(op, x, y) => self.binary(*op, *x, *y, n)?,
            Op::Shl(x, k) if self.opts.fusion && self.range_of(*x).is_some() => {
                let t = need_num()?;
                let r = self
                    .range_of(*x)
                    .unwrap_or_else(|| Range::of_type(t))
                    .shl(*k);
                let (terms, c) = self.terms_of(*x)?;
                let terms = terms
                    .into_iter()
                    .map(|term| Term {
                        shift: term.shift + *k as usize,
                        ..term
                    })
                    .collect();
                self.sum_val(terms, c << *k, r, t)
            }
            Op::Shl(x, k) => {
                let (word, r) = self.num(*x)?;
                self.make(word.shl(*k as usize), r.shl(*k), need_num()?)
            }
            Op::Shr(x, k) => {
                let (word, r) = self.num(*x)?;
                self.make(word.shr(*k as usize), r.shr(*k), need_num()?)
            }
            Op::If {
                cond,
                then_block,
                else_block,
            } => self.if_else(*cond, then_block, else_block, n)?,
        })
    }

    fn cast(&mut self, x: VarId, n: &Node) -> Result<Val, LowerError> {
        let to = match n.ty {
            Ty::Bool => return Ok(Val::Bool(self.bool(x)?)),
            Ty::Num(t) => t,
        };
        // A sum scaled up stays a sum: its rows shift; if it wraps, it is reduced modulo
        // the target width and may no longer be spliced.
        if let Val::Sum(sum) = self.get_raw(x)?
            && to.frac >= self.frac(x)
            && self.opts.range
        {
            let d = to.frac - self.frac(x);
            let r = sum.range.shl(d);
            let exact = r.within(&Range::of_type(to));
            let (terms, c) = self.terms_of(x)?;
            let terms: Vec<Term> = terms
                .into_iter()
                .map(|term| Term {
                    shift: term.shift + d as usize,
                    ..term
                })
                .collect();
            let val = if exact {
                self.sum_val(terms, c << d, r, to)
            } else {
                self.sum_val(terms, c << d, Range::of_type(to), to)
            };
            return Ok(match val {
                Val::Sum(s) => Val::Sum(Sum { exact, ..s }),
                other => other,
            });
        }
        match self.get(x)? {
            Val::Sum(_) => Err(malformed(x, "is an unreduced sum")),
            Val::Bool(b) => {
                let one = if to.frac >= 256 {
                    BigInt::zero()
                } else {
                    BigInt::one() << to.frac
                };
                let c = wrap(&one, to);
                let (w, s) = Range::point(c.clone()).word_shape();
                let bits = (0..w)
                    .map(|i| if c.bit(i as u64) { b } else { Bit::FALSE })
                    .collect();
                let r = Range::new(
                    (&c).min(&BigInt::zero()).clone(),
                    (&c).max(&BigInt::zero()).clone(),
                );
                Ok(self.make(Word::new(bits, s), r, to))
            }
            Val::Num { word, range } => {
                let from = self.frac(x);
                let (w, r) = if to.frac >= from {
                    let d = to.frac - from;
                    (word.shl(d as usize), range.shl(d))
                } else {
                    let d = from - to.frac;
                    (word.shr(d as usize), range.shr(d))
                };
                if self.opts.range && r.within(&Range::of_type(to)) {
                    Ok(self.make(w, r, to))
                } else {
                    // Wraps: the low bits of the (extended) scaled value.
                    let wrapped = w.resize(to.width as usize, to.signed);
                    Ok(self.make(wrapped, Range::of_type(to), to))
                }
            }
        }
    }

    fn unary(&mut self, op: UnOp, word: Word, r: Range, t: NumTy) -> Val {
        match op {
            UnOp::Not => Val::Bool(Bit::FALSE), // handled by the caller
            UnOp::Neg => {
                let nr = r.neg();
                let (w, _) = self.shape(&nr, t);
                let out = gadgets::negate(&mut self.b, &word, w);
                self.make(out, nr, t)
            }
            UnOp::Abs => {
                let nr = r.abs();
                if self.opts.range && !r.lo.is_negative() {
                    return self.make(word, nr, t);
                }
                if self.opts.range && !r.hi.is_positive() {
                    let (w, _) = self.shape(&nr, t);
                    let out = gadgets::negate(&mut self.b, &word, w);
                    return self.make(out, nr, t);
                }
                let out = gadgets::abs(&mut self.b, &word);
                self.make(out, nr, t)
            }
            UnOp::Sign => {
                let nr = r.sign();
                let out = gadgets::sign(&mut self.b, &word);
                self.make(out, nr, t)
            }
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

    /// Additions, subtractions and constant products as deferred sums (fusion).
    fn fused_binary(
        &mut self,
        op: BinOp,
        x: VarId,
        y: VarId,
        t: NumTy,
    ) -> Result<Option<Val>, LowerError> {
        let (Some(ra), Some(rb)) = (self.range_of(x), self.range_of(y)) else {
            return Ok(None);
        };
        match op {
            BinOp::Add | BinOp::Sub => {
                let add = op == BinOp::Add;
                let r = if add { ra.add(&rb) } else { ra.sub(&rb) };
                let (mut terms, ca) = self.terms_of(x)?;
                let (tb, cb) = self.terms_of(y)?;
                terms.extend(tb.into_iter().map(|mut term| {
                    term.negative ^= !add;
                    term
                }));
                let c = if add { ca + cb } else { ca - cb };
                Ok(Some(self.sum_val(terms, c, r, t)))
            }
            BinOp::Mul if x != y => {
                let (c, other) = match (self.const_value(x), self.const_value(y)) {
                    (_, Some(c)) => (c, x),
                    (Some(c), None) => (c, y),
                    (None, None) => return Ok(None),
                };
                let Ok(ci) = i128::try_from(&c) else {
                    return Ok(None);
                };
                let digits = gadgets::csd_digits(ci);
                let nonzero = digits.iter().filter(|&&d| d != 0).count();
                let (terms, k) = self.terms_of(other)?;
                if terms.len() * nonzero > MAX_TERMS {
                    return Ok(None);
                }
                let mut out = Vec::with_capacity(terms.len() * nonzero);
                for (shift, &d) in digits.iter().enumerate() {
                    if d == 0 {
                        continue;
                    }
                    for term in &terms {
                        out.push(Term {
                            word: term.word.clone(),
                            shift: term.shift + shift,
                            negative: term.negative ^ (d < 0),
                        });
                    }
                }
                Ok(Some(self.sum_val(out, k * &c, ra.mul(&rb), t)))
            }
            _ => Ok(None),
        }
    }

    fn binary(&mut self, op: BinOp, x: VarId, y: VarId, n: &Node) -> Result<Val, LowerError> {
        if self.opts.fusion
            && let Some(t) = n.ty.num()
            && let Some(v) = self.fused_binary(op, x, y, t)?
        {
            return Ok(v);
        }
        if let (Val::Bool(a), Val::Bool(b)) = (self.get_raw(x)?, self.get_raw(y)?) {
            let bb = &mut self.b;
            let v = match op {
                BinOp::And => bb.and(a, b),
                BinOp::Or => bb.or(a, b),
                BinOp::Xor | BinOp::Ne => bb.xor(a, b),
                BinOp::Eq => !bb.xor(a, b),
                BinOp::Lt => bb.and(!a, b),
                BinOp::Le => bb.or(!a, b),
                BinOp::Gt => bb.and(a, !b),
                BinOp::Ge => bb.or(a, !b),
                _ => return Err(malformed(n.var, "applies arithmetic to bools")),
            };
            return Ok(Val::Bool(v));
        }
        let (a, ra) = self.num(x)?;
        let (b, rb) = self.num(y)?;
        if let Some(v) = self.compare(op, &a, &ra, &b, &rb) {
            return Ok(Val::Bool(v));
        }
        let t =
            n.ty.num()
                .ok_or(malformed(n.var, "is bool but the operation is arithmetic"))?;
        Ok(match op {
            BinOp::Add => {
                let r = ra.add(&rb);
                let (w, s) = self.shape(&r, t);
                let out = gadgets::add(&mut self.b, &a, &b, w, s);
                self.make(out, r, t)
            }
            BinOp::Sub => {
                let r = ra.sub(&rb);
                let (w, s) = self.shape(&r, t);
                let out = gadgets::sub(&mut self.b, &a, &b, w, s);
                self.make(out, r, t)
            }
            BinOp::Mul => {
                let r = if x == y { ra.square() } else { ra.mul(&rb) };
                let (w, s) = self.shape(&r, t);
                let out = if let Some(o) = self.multiply_small(&a, &ra, &b, w, s) {
                    o
                } else if let Some(o) = self.multiply_small(&b, &rb, &a, w, s) {
                    o
                } else {
                    gadgets::multiply(&mut self.b, &a, &b, w, s)
                };
                self.make(out, r, t)
            }
            BinOp::Min | BinOp::Max => {
                let is_min = op == BinOp::Min;
                let r = if is_min { ra.min(&rb) } else { ra.max(&rb) };
                if self.opts.range {
                    // Decided by the ranges alone.
                    if (is_min && ra.hi <= rb.lo) || (!is_min && ra.lo >= rb.hi) {
                        return Ok(self.make(a, r, t));
                    }
                    if (is_min && rb.hi <= ra.lo) || (!is_min && rb.lo >= ra.hi) {
                        return Ok(self.make(b, r, t));
                    }
                }
                // min: (b < a) ? b : a;  max: (a < b) ? b : a.
                let pick_b = if is_min {
                    gadgets::less_than(&mut self.b, &b, &a)
                } else {
                    gadgets::less_than(&mut self.b, &a, &b)
                };
                let (w, s) = self.shape(&r, t);
                let out = gadgets::mux(&mut self.b, pick_b, &b, &a, w, s);
                self.make(out, r, t)
            }
            _ => return Err(malformed(n.var, "is a comparison on mismatched operands")),
        })
    }

    /// `x · s` for `s ∈ {−1, 0, 1}` held in two bits (as `sign` makes it): the conditional
    /// negation of x, masked by s ≠ 0 (2w − 1 ANDs instead of a 2-row product).
    fn multiply_small(
        &mut self,
        s: &Word,
        rs: &Range,
        x: &Word,
        w: usize,
        signed: bool,
    ) -> Option<Word> {
        let minus_one = -BigInt::one();
        if !(self.opts.range
            && rs.lo >= minus_one
            && rs.hi <= BigInt::one()
            && s.width() == 2
            && s.signed)
        {
            return None;
        }
        if s.as_const().is_some() {
            return None;
        }
        let (nz, neg) = (s.bits[0], s.bits[1]);
        let negated = self.conditional_negate(neg, x, w, signed);
        let bits = negated.bits.iter().map(|&b| self.b.and(b, nz)).collect();
        Some(Word::new(bits, signed))
    }

    /// `keep · (if s { −v } else { v })` as a deferred sum `((v ⊕ s) ∧ keep) + (s ∧ keep)`:
    /// the +1 of the negation becomes a carry-in of whatever sum consumes it. Only when
    /// −v cannot wrap in the node's type (the sum's value is exact).
    fn fused_negation(
        &mut self,
        s: Bit,
        v: &Word,
        rv: &Range,
        keep: Bit,
        r: &Range,
        t: NumTy,
    ) -> Option<Val> {
        if !(self.opts.fusion && self.opts.range && rv.neg().within(&Range::of_type(t))) {
            return None;
        }
        let (w, _) = r.hull(rv).hull(&rv.neg()).word_shape();
        let flipped: Vec<Bit> = (0..w)
            .map(|i| {
                let x = self.b.xor(v.bit(i), s);
                self.b.and(x, keep)
            })
            .collect();
        let carry = self.b.and(s, keep);
        let terms = vec![
            Term {
                word: Word::new(flipped, true),
                shift: 0,
                negative: false,
            },
            Term {
                word: Word::new(vec![carry], false),
                shift: 0,
                negative: false,
            },
        ];
        Some(self.sum_val(terms, BigInt::zero(), r.clone(), t))
    }

    /// `if s { −x } else { x }` at width w: `(x ⊕ s) + s`, w − 1 ANDs.
    fn conditional_negate(&mut self, s: Bit, x: &Word, w: usize, signed: bool) -> Word {
        let mut c = s;
        let mut bits = Vec::with_capacity(w);
        for i in 0..w {
            let t = self.b.xor(x.bit(i), s);
            bits.push(self.b.xor(t, c));
            if i + 1 < w {
                c = self.b.and(t, c);
            }
        }
        Word::new(bits, signed)
    }

    /// A comparison's bit, decided by the ranges when they do not overlap.
    fn compare(&mut self, op: BinOp, a: &Word, ra: &Range, b: &Word, rb: &Range) -> Option<Bit> {
        let (lt, swap, negate) = match op {
            BinOp::Lt => (true, false, false),
            BinOp::Ge => (true, false, true),
            BinOp::Gt => (true, true, false),
            BinOp::Le => (true, true, true),
            BinOp::Eq => (false, false, false),
            BinOp::Ne => (false, false, true),
            _ => return None,
        };
        let (a, ra, b, rb) = if swap { (b, rb, a, ra) } else { (a, ra, b, rb) };
        let decided = if !self.opts.range {
            None
        } else if lt {
            if ra.hi < rb.lo {
                Some(true)
            } else if ra.lo >= rb.hi {
                Some(false)
            } else {
                None
            }
        } else if ra.intersect(rb).is_none() {
            Some(false)
        } else if ra.as_point().is_some() && ra.as_point() == rb.as_point() {
            Some(true)
        } else {
            None
        };
        let bit = match decided {
            Some(v) => Bit::constant(v),
            None if lt => {
                // Against a constant, an unsigned word is compared as "high bits zero and
                // low bits ≤ d", the high-bit test built top-down so that comparisons of
                // one value with several constants share it.
                let one = BigInt::one();
                match (ra.as_point(), rb.as_point()) {
                    (_, Some(c)) if !a.signed && self.opts.range => {
                        gadgets::at_most_const(&mut self.b, a, &(c - &one))
                    }
                    (Some(c), _) if !b.signed && self.opts.range => {
                        !gadgets::at_most_const(&mut self.b, b, c)
                    }
                    _ => gadgets::less_than(&mut self.b, a, b),
                }
            }
            None => gadgets::equal(&mut self.b, a, b),
        };
        Some(if negate { !bit } else { bit })
    }

    fn if_else(
        &mut self,
        cond: VarId,
        tb: &'p Block,
        eb: &'p Block,
        n: &Node,
    ) -> Result<Val, LowerError> {
        let s = self.bool(cond)?;
        if self.opts.constant_propagation
            && let Some(v) = s.as_const()
        {
            return self.block(if v { tb } else { eb });
        }
        let path = self.opts.range && self.opts.path_ranges;
        let facts_t = if path {
            self.facts(cond, true)
        } else {
            Some(Vec::new())
        };
        let facts_e = if path {
            self.facts(cond, false)
        } else {
            Some(Vec::new())
        };
        let (Some(facts_t), Some(facts_e)) = (facts_t, facts_e) else {
            // One arm is infeasible: the condition is in fact constant.
            let then_possible = self.facts(cond, true).is_some();
            return self.block(if then_possible { tb } else { eb });
        };
        let tv = self.arm(tb, &facts_t)?;
        let ev = self.arm(eb, &facts_e)?;
        Ok(match (tv, ev) {
            (Val::Bool(t), Val::Bool(e)) => Val::Bool(self.b.mux(s, t, e)),
            (
                Val::Num {
                    word: tw,
                    range: tr,
                },
                Val::Num {
                    word: ew,
                    range: er,
                },
            ) => {
                let t =
                    n.ty.num()
                        .ok_or(malformed(n.var, "is bool but its arms are numbers"))?;
                let r = tr.hull(&er);
                let (w, sg) = self.shape(&r, t);
                // The patterns below rely on both arms' results having the node's type.
                let arms_typed = self.has_type(tb.result, n.ty) && self.has_type(eb.result, n.ty);
                // `if c { -v } else { v }` (or the mirror) is a conditional negation.
                if let Some((neg_when, v)) = self
                    .negation_pair(tb.result, eb.result)
                    .filter(|&(_, v)| arms_typed && self.has_type(v, n.ty))
                {
                    let (vw, rv) = self.num(v)?;
                    let sel = if neg_when { s } else { !s };
                    if let Some(val) = self.fused_negation(sel, &vw, &rv, Bit::TRUE, &r, t) {
                        return Ok(val);
                    }
                    let out = self.conditional_negate(sel, &vw, w, sg);
                    return Ok(self.make(out, r, t));
                }
                // `if c { -v } else if c2 { 0 } else { v }`: a masked conditional negation.
                if let Some((v, keep_else)) = self
                    .signed_select(tb.result, eb.result)?
                    .filter(|&(v, _)| arms_typed && self.has_type(v, n.ty))
                {
                    let (vw, rv) = self.num(v)?;
                    let keep = self.b.or(s, keep_else);
                    if let Some(val) = self.fused_negation(s, &vw, &rv, keep, &r, t) {
                        return Ok(val);
                    }
                    let negated = self.conditional_negate(s, &vw, w, sg);
                    let bits = negated.bits.iter().map(|&b| self.b.and(b, keep)).collect();
                    return Ok(self.make(Word::new(bits, sg), r, t));
                }
                let out = gadgets::mux(&mut self.b, s, &tw, &ew, w, sg);
                self.make(out, r, t)
            }
            _ => return Err(malformed(n.var, "has arms of different kinds")),
        })
    }

    /// `Some((true, v))` if the then-result is `−v` and the else-result is `v` (v defined
    /// outside the arms); `Some((false, v))` for the mirror image.
    fn negation_pair(&self, t: VarId, e: VarId) -> Option<(bool, VarId)> {
        let neg_of = |a: VarId| match self.defs.get(&a).map(|n| &n.op) {
            Some(Op::Unary(UnOp::Neg, v)) => Some(*v),
            _ => None,
        };
        if neg_of(t) == Some(e) && self.env_defined_outside(e) {
            return Some((true, e));
        }
        if neg_of(e) == Some(t) && self.env_defined_outside(t) {
            return Some((false, t));
        }
        None
    }

    /// For a then-result `−v` and an else-result `if c2 { 0 } else { v }` (or
    /// `if c2 { v } else { 0 }`): `v` and the bit that keeps v in the else case.
    fn signed_select(&mut self, t: VarId, e: VarId) -> Result<Option<(VarId, Bit)>, LowerError> {
        let Some(Op::Unary(UnOp::Neg, v)) = self.defs.get(&t).map(|n| &n.op) else {
            return Ok(None);
        };
        let v = *v;
        let Some(Op::If {
            cond,
            then_block,
            else_block,
        }) = self.defs.get(&e).map(|n| &n.op)
        else {
            return Ok(None);
        };
        let zero = |var: VarId| self.const_value(var).is_some_and(|c| c.is_zero());
        let keep_when_cond = if zero(then_block.result) && else_block.result == v {
            false
        } else if zero(else_block.result) && then_block.result == v {
            true
        } else {
            return Ok(None);
        };
        if !self.env_defined_outside(v) {
            return Ok(None);
        }
        let c2 = self.bool(*cond)?;
        Ok(Some((v, if keep_when_cond { c2 } else { !c2 })))
    }

    /// Whether variable `v` has type `ty`.
    fn has_type(&self, v: VarId, ty: Ty) -> bool {
        self.tys.get(v as usize) == Some(&ty)
    }

    /// Whether `v` has a value now (defined before the arms, not only inside one).
    fn env_defined_outside(&self, v: VarId) -> bool {
        // Arm-local variables are defined too after lowering the arm; the pattern only
        // needs v's value, which is the same wherever it was defined.
        self.env.get(v as usize).is_some_and(Option::is_some)
    }

    /// Lowers an arm under `facts`, restoring the narrowed variables afterwards.
    fn arm(&mut self, block: &'p Block, facts: &[(VarId, Range)]) -> Result<Val, LowerError> {
        let mut saved: Vec<(VarId, Val)> = Vec::with_capacity(facts.len());
        let mut changed = std::collections::BTreeSet::new();
        for (v, r) in facts {
            if self.narrow(*v, r, &mut saved)? {
                changed.insert(*v);
            }
        }
        // Forward: values computed before the `if` from narrowed ones narrow too.
        let mut work: std::collections::BTreeSet<VarId> = changed
            .iter()
            .flat_map(|v| self.users.get(v).cloned().unwrap_or_default())
            .collect();
        let mut steps = 0usize;
        while let Some(v) = work.pop_first() {
            steps += 1;
            if steps > 100_000 {
                break;
            }
            let Some(node) = self.defs.get(&v).copied() else {
                continue;
            };
            if !matches!(
                self.env.get(v as usize),
                Some(Some(Val::Num { .. } | Val::Sum(_)))
            ) {
                continue;
            }
            let Some(r) = self.op_range(node) else {
                continue;
            };
            if self.narrow(v, &r, &mut saved)? {
                work.extend(self.users.get(&v).cloned().unwrap_or_default());
            }
        }
        let result = self.block(block);
        for (v, val) in saved.into_iter().rev() {
            self.env[v as usize] = Some(val);
        }
        result
    }

    /// Narrows `v` to `r` (if that is narrower), saving its old value; whether it changed.
    fn narrow(
        &mut self,
        v: VarId,
        r: &Range,
        saved: &mut Vec<(VarId, Val)>,
    ) -> Result<bool, LowerError> {
        let Some(Some(old)) = self.env.get(v as usize).cloned() else {
            return Ok(false);
        };
        let new = match &old {
            Val::Num { word, range } => {
                let Some(nr) = range.intersect(r).filter(|nr| nr != range) else {
                    return Ok(false);
                };
                let (w, s) = nr.word_shape();
                let word = match nr.as_point() {
                    Some(p) => const_word(p, w, s),
                    None => word.resize(w, s),
                };
                Val::Num { word, range: nr }
            }
            Val::Sum(sum) => {
                let Some(nr) = sum.range.intersect(r).filter(|nr| *nr != sum.range) else {
                    return Ok(false);
                };
                Val::Sum(Sum {
                    range: nr,
                    ..sum.clone()
                })
            }
            Val::Bool(_) => return Ok(false),
        };
        saved.push((v, old));
        self.env[v as usize] = Some(new);
        Ok(true)
    }

    /// The range of a node's value from its operands' current ranges (no gates).
    fn op_range(&self, node: &Node) -> Option<Range> {
        let t = node.ty.num()?;
        let r = match &node.op {
            Op::Cast(x) => {
                let from = self.tys.get(*x as usize)?.num()?;
                let rx = self.range_of(*x)?;
                let scaled = if t.frac >= from.frac {
                    rx.shl(t.frac - from.frac)
                } else {
                    rx.shr(from.frac - t.frac)
                };
                if scaled.within(&Range::of_type(t)) {
                    scaled
                } else {
                    return None;
                }
            }
            Op::Unary(UnOp::Neg, x) => self.range_of(*x)?.neg(),
            Op::Unary(UnOp::Abs, x) => self.range_of(*x)?.abs(),
            Op::Unary(UnOp::Sign, x) => self.range_of(*x)?.sign(),
            Op::Shl(x, k) => self.range_of(*x)?.shl(*k),
            Op::Shr(x, k) => self.range_of(*x)?.shr(*k),
            Op::Binary(op, x, y) => {
                let (a, b) = (self.range_of(*x)?, self.range_of(*y)?);
                match op {
                    BinOp::Add => a.add(&b),
                    BinOp::Sub => a.sub(&b),
                    BinOp::Mul if x == y => a.square(),
                    BinOp::Mul => a.mul(&b),
                    BinOp::Min => a.min(&b),
                    BinOp::Max => a.max(&b),
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some(clamp_range(r, Range::of_type(t)))
    }

    /// Ranges implied by `cond == truth`, as (variable, range) facts; `None` if impossible.
    fn facts(&self, cond: VarId, truth: bool) -> Option<Vec<(VarId, Range)>> {
        let mut out: Vec<(VarId, Range)> = Vec::new();
        self.cond_facts(cond, truth, &mut out, 0)?;
        Some(out)
    }

    fn cond_facts(
        &self,
        cond: VarId,
        truth: bool,
        out: &mut Vec<(VarId, Range)>,
        depth: u32,
    ) -> Option<()> {
        if depth > 16 {
            return Some(());
        }
        let Some(node) = self.defs.get(&cond) else {
            return Some(());
        };
        match &node.op {
            Op::Unary(UnOp::Not, c) => self.cond_facts(*c, !truth, out, depth + 1),
            Op::Binary(BinOp::And, a, b) if truth => {
                self.cond_facts(*a, true, out, depth + 1)?;
                self.cond_facts(*b, true, out, depth + 1)
            }
            Op::Binary(BinOp::Or, a, b) if !truth => {
                self.cond_facts(*a, false, out, depth + 1)?;
                self.cond_facts(*b, false, out, depth + 1)
            }
            Op::Binary(op, a, b) => {
                let (Some(ra), Some(rb)) = (self.range_of(*a), self.range_of(*b)) else {
                    return Some(());
                };
                // Normalise to a < b, a <= b or a == b.
                let (rel, x, y, rx, ry) = match (op, truth) {
                    (BinOp::Lt, true) | (BinOp::Ge, false) => ("lt", *a, *b, ra, rb),
                    (BinOp::Le, true) | (BinOp::Gt, false) => ("le", *a, *b, ra, rb),
                    (BinOp::Gt, true) | (BinOp::Le, false) => ("lt", *b, *a, rb, ra),
                    (BinOp::Ge, true) | (BinOp::Lt, false) => ("le", *b, *a, rb, ra),
                    (BinOp::Eq, true) | (BinOp::Ne, false) => ("eq", *a, *b, ra, rb),
                    _ => return Some(()),
                };
                let one = BigInt::one();
                let (nx, ny) = match rel {
                    "lt" => (
                        Range::new(rx.lo.clone(), (&rx.hi).min(&(&ry.hi - &one)).clone()),
                        Range::new((&ry.lo).max(&(&rx.lo + &one)).clone(), ry.hi.clone()),
                    ),
                    "le" => (
                        Range::new(rx.lo.clone(), (&rx.hi).min(&ry.hi).clone()),
                        Range::new((&ry.lo).max(&rx.lo).clone(), ry.hi.clone()),
                    ),
                    _ => {
                        let i = rx.intersect(&ry)?;
                        (i.clone(), i)
                    }
                };
                if nx.lo > nx.hi || ny.lo > ny.hi {
                    return None;
                }
                self.push_fact(x, nx, out, depth)?;
                self.push_fact(y, ny, out, depth)
            }
            _ => Some(()),
        }
    }

    /// Records `v ∈ r` and what it implies for the values `v` was computed from.
    fn push_fact(
        &self,
        v: VarId,
        r: Range,
        out: &mut Vec<(VarId, Range)>,
        depth: u32,
    ) -> Option<()> {
        let current = self.range_of(v)?;
        let r = current.intersect(&r)?;
        if r == current {
            return Some(());
        }
        match out.iter_mut().find(|(x, _)| *x == v) {
            Some((_, existing)) => *existing = existing.intersect(&r)?,
            None => out.push((v, r.clone())),
        }
        if depth > 16 {
            return Some(());
        }
        let Some(node) = self.defs.get(&v) else {
            return Some(());
        };
        let one = BigInt::one();
        match &node.op {
            Op::Cast(src) => {
                let (Some(from), Ty::Num(to)) =
                    (self.tys.get(*src as usize).and_then(Ty::num), node.ty)
                else {
                    return Some(());
                };
                let src_range = self.range_of(*src)?;
                let implied = if to.frac >= from.frac {
                    let d = to.frac - from.frac;
                    if !src_range.shl(d).within(&Range::of_type(to)) {
                        return Some(()); // the cast may wrap: no backward fact
                    }
                    let m = BigInt::one() << d;
                    Range::new(Integer::div_ceil(&r.lo, &m), r.hi.div_floor(&m))
                } else {
                    let d = from.frac - to.frac;
                    if !src_range.shr(d).within(&Range::of_type(to)) {
                        return Some(());
                    }
                    let m = BigInt::one() << d;
                    Range::new(&r.lo * &m, &r.hi * &m + &m - &one)
                };
                self.push_fact(*src, implied, out, depth + 1)
            }
            Op::Unary(UnOp::Abs, src) => {
                self.push_fact(*src, Range::new(-&r.hi, r.hi.clone()), out, depth + 1)
            }
            Op::Unary(UnOp::Neg, src) => self.push_fact(*src, r.neg(), out, depth + 1),
            Op::Binary(BinOp::Add, a, b) | Op::Binary(BinOp::Sub, a, b) => {
                let is_add = matches!(node.op, Op::Binary(BinOp::Add, ..));
                let (ra, rb) = (self.range_of(*a)?, self.range_of(*b)?);
                if let Some(c) = rb.as_point() {
                    let shifted = if is_add {
                        r.sub(&Range::point(c.clone()))
                    } else {
                        r.add(&Range::point(c.clone()))
                    };
                    self.push_fact(*a, shifted, out, depth + 1)
                } else if let (Some(c), true) = (ra.as_point(), is_add) {
                    self.push_fact(*b, r.sub(&Range::point(c.clone())), out, depth + 1)
                } else {
                    Some(())
                }
            }
            _ => Some(()),
        }
    }
}
