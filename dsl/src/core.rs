//! The elaborated core IR: what the compiler lowers to gates and the interpreter runs.
//!
//! A [`Program`] is SSA: every [`Node`] defines a fresh [`VarId`] (dense, `0..num_vars`)
//! from earlier ones. Functions are inlined, loops unrolled, constants folded into typed
//! [`Op::Const`] nodes, and every implicit conversion of the source is an explicit
//! [`Op::Cast`]. `if/else` stays structured ([`Op::If`]) so that a compiler can analyse
//! value ranges per arm. Nodes inside an arm may use variables defined before the `If`
//! (in enclosing blocks); nothing outside an arm uses variables defined inside it except
//! through the arm's [`Block::result`].
//!
//! **Invariant**: every node's type can hold the exact mathematical result of its operation
//! on its operands' values, so only [`Op::Cast`] ever rounds or wraps. Moreover:
//! - `Add`, `Sub`, `Min`, `Max` and the comparisons get numeric operands with the **same
//!   frac** (widths and signedness may differ; they act on the exact integer raw values);
//!   the result has that frac too (comparisons: `bool`).
//! - `Mul`: result frac = sum of the operands' fracs; raw result = product of raw values.
//! - `And`, `Or`, `Xor`, `Not`, and `Eq`/`Ne` on two bools act on bools.
//! - `Shl(k)`/`Shr(k)` keep the frac: raw·2^k, floor(raw/2^k).
//! - `Neg`, `Abs` (result unsigned), `Sign` (result `int<2>`, −1/0/1) keep the frac
//!   (`Sign`'s is 0).
//! - `If`: `cond` is a bool; both arms' results already have the node's type.
//! - `Cast`: the only lossy node (see [`Op::Cast`]).
//!
//! Raw values are carried as `u128` bit patterns (low `width` bits significant; a signed
//! value's upper bits may hold its sign extension).

use crate::ast::Party;
use crate::diag::Span;
use crate::types::Ty;

/// Index of an SSA value; nodes define them in increasing order.
pub type VarId = u32;

/// A checked, elaborated program.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Inputs in declaration order (the interpreter's and circuit's input order).
    pub inputs: Vec<Input>,
    /// Outputs in declaration order; each names a variable of [`Program::body`].
    pub outputs: Vec<Output>,
    /// The top-level nodes, in evaluation order (includes one [`Op::Input`] per input).
    pub body: Vec<Node>,
    /// Number of distinct variables (every `VarId` is below this).
    pub num_vars: u32,
}

/// A declared input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// Source name.
    pub name: String,
    /// Who supplies it.
    pub party: Party,
    /// Its type.
    pub ty: Ty,
    /// The variable the input defines (by its [`Op::Input`] node).
    pub var: VarId,
}

/// A declared output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// Source name.
    pub name: String,
    /// Its stated type (equal to the type of `var`).
    pub ty: Ty,
    /// The top-level variable holding the value.
    pub var: VarId,
}

/// One SSA definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The variable defined.
    pub var: VarId,
    /// Its exact type.
    pub ty: Ty,
    /// How it is computed.
    pub op: Op,
    /// Source span the node came from (for messages).
    pub span: Span,
}

/// A list of nodes and the variable holding the block's value.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// Nodes in evaluation order.
    pub nodes: Vec<Node>,
    /// The block's value (defined in `nodes` or before the block).
    pub result: VarId,
}

/// Unary operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// Exact negation (signed result).
    Neg,
    /// Boolean not.
    Not,
    /// Exact absolute value (unsigned result, same frac).
    Abs,
    /// −1, 0 or 1 as `int<2>`.
    Sign,
}

/// Binary operations (see the module invariant for operand formats).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// Exact sum.
    Add,
    /// Exact difference.
    Sub,
    /// Exact product.
    Mul,
    /// Smaller value.
    Min,
    /// Larger value.
    Max,
    /// `<` on exact values.
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==` (numbers or bools)
    Eq,
    /// `!=` (numbers or bools)
    Ne,
    /// Boolean and.
    And,
    /// Boolean or.
    Or,
    /// Boolean exclusive or.
    Xor,
}

/// How a node's value is computed.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Input number `i` of [`Program::inputs`].
    Input(usize),
    /// A constant: its raw bit pattern in the node's type (bool: 0 or 1).
    Const(u128),
    /// Conversion of the operand to the node's type: (1) scale: multiply the raw value by
    /// 2^(f'−f) if f' ≥ f, else floor(raw / 2^(f−f')); (2) wrap modulo 2^width into the
    /// node's type. `bool` → number gives 0 or 1.0. Never number → bool.
    Cast(VarId),
    /// Unary operation.
    Unary(UnOp, VarId),
    /// Binary operation.
    Binary(BinOp, VarId, VarId),
    /// raw · 2^k (exact).
    Shl(VarId, u32),
    /// floor(raw / 2^k).
    Shr(VarId, u32),
    /// Oblivious choice: both arms are computed, `cond` picks one.
    If {
        /// Condition (bool).
        cond: VarId,
        /// Value when true.
        then_block: Block,
        /// Value when false.
        else_block: Block,
    },
}

/// Calls `f` on every node of `nodes` and, recursively, of the arms of their `if`s (each
/// node before its arms).
pub fn for_each_node<'p>(nodes: &'p [Node], f: &mut impl FnMut(&'p Node)) {
    for n in nodes {
        f(n);
        if let Op::If {
            then_block,
            else_block,
            ..
        } = &n.op
        {
            for_each_node(&then_block.nodes, f);
            for_each_node(&else_block.nodes, f);
        }
    }
}

impl Program {
    /// The type of every variable, indexed by `VarId`.
    pub fn var_types(&self) -> Vec<Ty> {
        let mut tys = vec![Ty::Bool; self.num_vars as usize];
        for_each_node(&self.body, &mut |n| {
            if let Some(t) = tys.get_mut(n.var as usize) {
                *t = n.ty;
            }
        });
        tys
    }

    /// Total number of nodes, arms included.
    pub fn node_count(&self) -> usize {
        let mut count = 0;
        for_each_node(&self.body, &mut |_| count += 1);
        count
    }

    /// Finds an input by name.
    pub fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.name == name)
    }
}

impl std::fmt::Display for Program {
    /// A readable listing: inputs, nodes (`v3: fixed<17, 12> = add v1 v2`), outputs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for i in &self.inputs {
            writeln!(f, "input {:?} {}: {} = v{}", i.party, i.name, i.ty, i.var)?;
        }
        write_nodes(f, &self.body, 0)?;
        for o in &self.outputs {
            writeln!(f, "output {}: {} = v{}", o.name, o.ty, o.var)?;
        }
        Ok(())
    }
}

fn write_nodes(f: &mut std::fmt::Formatter<'_>, nodes: &[Node], indent: usize) -> std::fmt::Result {
    let pad = "  ".repeat(indent);
    for n in nodes {
        write!(f, "{pad}v{}: {} = ", n.var, n.ty)?;
        match &n.op {
            Op::Input(i) => writeln!(f, "input #{i}")?,
            Op::Const(raw) => writeln!(f, "const {}", crate::value::format_value(*raw, &n.ty))?,
            Op::Cast(x) => writeln!(f, "cast v{x}")?,
            Op::Unary(op, x) => writeln!(f, "{} v{x}", format!("{op:?}").to_lowercase())?,
            Op::Binary(op, x, y) => writeln!(f, "{} v{x} v{y}", format!("{op:?}").to_lowercase())?,
            Op::Shl(x, k) => writeln!(f, "shl v{x} {k}")?,
            Op::Shr(x, k) => writeln!(f, "shr v{x} {k}")?,
            Op::If {
                cond,
                then_block,
                else_block,
            } => {
                writeln!(f, "if v{cond} {{")?;
                write_nodes(f, &then_block.nodes, indent + 1)?;
                writeln!(f, "{pad}  => v{}", then_block.result)?;
                writeln!(f, "{pad}}} else {{")?;
                write_nodes(f, &else_block.nodes, indent + 1)?;
                writeln!(f, "{pad}  => v{}", else_block.result)?;
                writeln!(f, "{pad}}}")?;
            }
        }
    }
    Ok(())
}
