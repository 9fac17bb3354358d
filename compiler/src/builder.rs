//! The circuit builder: an XOR/AND graph with complemented edges, constant folding and
//! structural hashing built in, exported to a [`Circuit`] with dead gates removed.
//!
//! A [`Bit`] is a node plus a negation flag, so NOT is free and never creates a node;
//! `x ^ 0 = x`, `x & 1 = x`, `x & x = x`, `x ^ x = 0`, `x & !x = 0` fold at construction,
//! and an AND or XOR of the same two operands is built once (structural hashing / CSE).
//! Every optimisation can be switched off through [`BuildOptions`] to measure what it buys.

use crate::circuit::{Circuit, Gate, IoValue, WireId};
use std::collections::HashMap;

/// A bit in a [`Builder`]: a constant, or a node possibly negated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bit(u32);

impl Bit {
    /// Constant false.
    pub const FALSE: Bit = Bit(0);
    /// Constant true.
    pub const TRUE: Bit = Bit(1);

    /// The constant with value `v`.
    pub fn constant(v: bool) -> Bit {
        if v { Bit::TRUE } else { Bit::FALSE }
    }

    /// The value of a constant bit, `None` for a node.
    pub fn as_const(self) -> Option<bool> {
        (self.0 < 2).then_some(self.0 == 1)
    }

    fn node(self) -> u32 {
        self.0 >> 1
    }

    fn negated(self) -> bool {
        self.0 & 1 == 1
    }

    fn positive(self) -> Bit {
        Bit(self.0 & !1)
    }
}

impl std::ops::Not for Bit {
    type Output = Bit;
    fn not(self) -> Bit {
        Bit(self.0 ^ 1)
    }
}

/// What a node of the graph computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Node {
    /// Node 0: the constant false.
    Zero,
    /// Input wire number.
    Input(u32),
    And(Bit, Bit),
    Xor(Bit, Bit),
}

/// Which built-in optimisations a [`Builder`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    /// Fold constants and trivial identities (`x & x`, `x ^ x`, …).
    pub fold_constants: bool,
    /// Build each distinct AND/XOR once (structural hashing, common subexpressions).
    pub structural_hashing: bool,
    /// Drop gates no output depends on when exporting.
    pub dead_gate_elimination: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            fold_constants: true,
            structural_hashing: true,
            dead_gate_elimination: true,
        }
    }
}

/// An error exporting a builder's graph to a [`Circuit`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A constant output bit in a circuit without inputs (constants are built from an input wire).
    #[error(
        "output bit {index} is a constant, and the circuit has no input wire to derive it from"
    )]
    ConstantWithoutInputs {
        /// Position among the output bits.
        index: usize,
    },
    /// Output values' widths do not add up to the output bits given.
    #[error("output values declare {declared} bits but {given} bits were given")]
    OutputWidthMismatch {
        /// Sum of output value widths.
        declared: usize,
        /// Bits given.
        given: usize,
    },
}

/// Builds a circuit gate by gate with folding and hashing (see the module docs).
#[derive(Clone, Debug)]
pub struct Builder {
    options: BuildOptions,
    nodes: Vec<Node>,
    hash: HashMap<Node, u32>,
    inputs: Vec<IoValue>,
    num_input_bits: u32,
    /// The tag current when each node was created (see [`Builder::set_tag`]).
    tags: Vec<u32>,
    tag: u32,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new(BuildOptions::default())
    }
}

impl Builder {
    /// An empty builder applying `options`.
    pub fn new(options: BuildOptions) -> Builder {
        Builder {
            options,
            nodes: vec![Node::Zero],
            hash: HashMap::new(),
            inputs: Vec::new(),
            num_input_bits: 0,
            tags: vec![0],
            tag: 0,
        }
    }

    /// Tags the nodes created from now on with `tag` (for cost attribution, see
    /// [`Builder::live_ands_by_tag`]); returns the previous tag.
    pub fn set_tag(&mut self, tag: u32) -> u32 {
        std::mem::replace(&mut self.tag, tag)
    }

    /// Number of nodes built so far (inputs and gates, before dead-gate elimination).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The options this builder applies.
    pub fn options(&self) -> BuildOptions {
        self.options
    }

    /// Declares the next input value; returns its bits, LSB-first.
    pub fn input(&mut self, value: IoValue) -> Vec<Bit> {
        let width = value.format.width();
        self.inputs.push(value);
        (0..width)
            .map(|_| {
                let bit = self.push(Node::Input(self.num_input_bits));
                self.num_input_bits += 1;
                bit
            })
            .collect()
    }

    fn push(&mut self, node: Node) -> Bit {
        if self.options.structural_hashing
            && let Some(&id) = self.hash.get(&node)
        {
            return Bit(id << 1);
        }
        let id = self.nodes.len() as u32;
        self.nodes.push(node);
        self.tags.push(self.tag);
        if self.options.structural_hashing {
            self.hash.insert(node, id);
        }
        Bit(id << 1)
    }

    /// `a XOR b`.
    pub fn xor(&mut self, a: Bit, b: Bit) -> Bit {
        if self.options.fold_constants {
            match (a.as_const(), b.as_const()) {
                (Some(x), _) => return if x { !b } else { b },
                (_, Some(y)) => return if y { !a } else { a },
                _ => {}
            }
            if a == b {
                return Bit::FALSE;
            }
            if a == !b {
                return Bit::TRUE;
            }
        } else if let (Some(x), Some(y)) = (a.as_const(), b.as_const()) {
            return Bit::constant(x ^ y);
        }
        let neg = a.negated() ^ b.negated();
        let (p, q) = (a.positive(), b.positive());
        let (p, q) = if p <= q { (p, q) } else { (q, p) };
        let bit = self.push(Node::Xor(p, q));
        if neg { !bit } else { bit }
    }

    /// `a AND b`.
    pub fn and(&mut self, a: Bit, b: Bit) -> Bit {
        if self.options.fold_constants {
            match (a.as_const(), b.as_const()) {
                (Some(x), _) => return if x { b } else { Bit::FALSE },
                (_, Some(y)) => return if y { a } else { Bit::FALSE },
                _ => {}
            }
            if a == b {
                return a;
            }
            if a == !b {
                return Bit::FALSE;
            }
        } else if let (Some(x), Some(y)) = (a.as_const(), b.as_const()) {
            return Bit::constant(x & y);
        }
        let (p, q) = if a <= b { (a, b) } else { (b, a) };
        self.push(Node::And(p, q))
    }

    /// `a OR b` (one AND).
    pub fn or(&mut self, a: Bit, b: Bit) -> Bit {
        !self.and(!a, !b)
    }

    /// `if s { a } else { b }` (one AND).
    pub fn mux(&mut self, s: Bit, a: Bit, b: Bit) -> Bit {
        if a == b {
            return a;
        }
        let d = self.xor(a, b);
        let t = self.and(s, d);
        self.xor(b, t)
    }

    /// Number of AND nodes built so far (before dead-gate elimination).
    pub fn and_nodes(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, Node::And(..)))
            .count()
    }

    /// Evaluates bits on concrete input bits (for tests of gadgets without exporting).
    pub fn eval(&self, input_bits: &[bool], bits: &[Bit]) -> Vec<bool> {
        let mut values = vec![false; self.nodes.len()];
        let get = |b: Bit, values: &[bool]| values[b.node() as usize] ^ b.negated();
        for (i, node) in self.nodes.iter().enumerate() {
            values[i] = match *node {
                Node::Zero => false,
                Node::Input(k) => input_bits[k as usize],
                Node::And(a, b) => get(a, &values) & get(b, &values),
                Node::Xor(a, b) => get(a, &values) ^ get(b, &values),
            };
        }
        bits.iter().map(|&b| get(b, &values)).collect()
    }

    /// Which nodes `output_bits` depend on (every node when `all`).
    fn live(&self, output_bits: &[Bit], all: bool) -> Vec<bool> {
        let n = self.nodes.len();
        let mut live = vec![all; n];
        for b in output_bits {
            live[b.node() as usize] = true;
        }
        for i in (0..n).rev() {
            if live[i]
                && let Node::And(a, b) | Node::Xor(a, b) = self.nodes[i]
            {
                live[a.node() as usize] = true;
                live[b.node() as usize] = true;
            }
        }
        live
    }

    /// The AND nodes the exported circuit keeps (those `output_bits` depend on, or all
    /// without dead-gate elimination), counted by the tag they were created under
    /// (sorted by tag): where a circuit's ANDs come from.
    pub fn live_ands_by_tag(&self, output_bits: &[Bit]) -> Vec<(u32, usize)> {
        let live = self.live(output_bits, !self.options.dead_gate_elimination);
        let mut counts = std::collections::BTreeMap::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if live[i] && matches!(node, Node::And(..)) {
                *counts.entry(self.tags[i]).or_insert(0usize) += 1;
            }
        }
        counts.into_iter().collect()
    }

    /// Exports the graph as a [`Circuit`] computing `output_bits` (value by value, LSB-first).
    ///
    /// Negations become INV gates (free), constants are derived from input wire 0
    /// (`x XOR x`), and unless disabled only gates some output depends on are kept.
    pub fn finish(
        &self,
        outputs: Vec<IoValue>,
        output_bits: &[Bit],
    ) -> Result<Circuit, BuildError> {
        let declared: usize = outputs.iter().map(|v| v.format.width() as usize).sum();
        if declared != output_bits.len() {
            return Err(BuildError::OutputWidthMismatch {
                declared,
                given: output_bits.len(),
            });
        }
        let n = self.nodes.len();
        let live = self.live(output_bits, !self.options.dead_gate_elimination);
        let mut ex = Exporter {
            wire: vec![None; n],
            inv: vec![None; n],
            gates: Vec::new(),
            next: self.num_input_bits,
        };
        for (i, node) in self.nodes.iter().enumerate() {
            if let Node::Input(k) = node {
                ex.wire[i] = Some(*k);
            }
        }
        let needs_zero = live[0];
        if needs_zero {
            if self.num_input_bits == 0 {
                let index = output_bits.iter().position(|b| b.node() == 0).unwrap_or(0);
                return Err(BuildError::ConstantWithoutInputs { index });
            }
            let z = ex.fresh();
            ex.gates.push(Gate::Xor { a: 0, b: 0, out: z });
            ex.wire[0] = Some(z);
        }
        for (i, node) in self.nodes.iter().enumerate() {
            if !live[i] {
                continue;
            }
            match *node {
                Node::And(a, b) => {
                    let (a, b) = (ex.operand(a), ex.operand(b));
                    let out = ex.fresh();
                    ex.gates.push(Gate::And { a, b, out });
                    ex.wire[i] = Some(out);
                }
                Node::Xor(a, b) => {
                    let (a, b) = (ex.operand(a), ex.operand(b));
                    let out = ex.fresh();
                    ex.gates.push(Gate::Xor { a, b, out });
                    ex.wire[i] = Some(out);
                }
                Node::Zero | Node::Input(_) => {}
            }
        }
        let output_wires = output_bits.iter().map(|&b| ex.operand(b)).collect();
        Ok(Circuit {
            inputs: self.inputs.clone(),
            outputs,
            num_wires: ex.next,
            gates: ex.gates,
            output_wires,
        })
    }
}

/// Export state: the wire of each node and of its negation.
struct Exporter {
    wire: Vec<Option<WireId>>,
    inv: Vec<Option<WireId>>,
    gates: Vec<Gate>,
    next: WireId,
}

impl Exporter {
    fn fresh(&mut self) -> WireId {
        self.next += 1;
        self.next - 1
    }

    /// The wire carrying `b`, adding an INV gate (once per node) for a negated bit.
    fn operand(&mut self, b: Bit) -> WireId {
        let node = b.node() as usize;
        let w = self.wire[node].unwrap_or(0);
        if !b.negated() {
            return w;
        }
        if let Some(x) = self.inv[node] {
            return x;
        }
        let out = self.fresh();
        self.gates.push(Gate::Inv { a: w, out });
        self.inv[node] = Some(out);
        out
    }
}
