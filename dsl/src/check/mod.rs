//! Type checking and elaboration: AST → core IR ([`crate::core::Program`]).
//!
//! One pass does both: names are resolved, types computed by the rules of `dsl/README.md`,
//! functions inlined, loops unrolled and constants folded, while the core nodes are
//! emitted. The first error stops the pass.

mod control;
mod convert;
mod decls;
mod expr;
pub(crate) mod link;
mod trunc;

use crate::ast::{self, Item, Stmt, TypeExpr};
use crate::core::{self, Node, Op, VarId};
use crate::diag::{Diagnostic, Span};
use crate::rational::Rational;
use crate::types::Ty;
use num_bigint::BigInt;
use std::collections::HashMap;

type R<T> = Result<T, Diagnostic>;

/// Names of the builtin functions.
pub(crate) const BUILTINS: [&str; 5] = ["abs", "sign", "min", "max", "clamp"];

/// Most nodes a program may elaborate to (after inlining and unrolling).
const MAX_NODES: usize = 4_000_000;
/// Most loop iterations in total.
const MAX_ITERATIONS: u64 = 1_000_000;
/// Deepest chain of nested function calls.
const MAX_CALL_DEPTH: usize = 64;

/// An elaborated value: a folded constant or a variable.
#[derive(Clone, Debug)]
enum Val {
    Const(Rational),
    Var(VarId),
}

#[derive(Clone, Debug)]
enum Binding {
    Var {
        var: VarId,
        ty: Ty,
        mutable: bool,
        if_depth: u32,
    },
    Const(Rational),
}

enum GlobalState<'a, T> {
    Pending(&'a T),
    Busy,
    Done(Box<Result<Rational, ()>>),
}

enum AliasState<'a> {
    Pending(&'a TypeExpr),
    Busy,
    Done(Ty),
}

struct Frame {
    scopes: Vec<HashMap<String, Binding>>,
}

/// Elaborates a parsed program; `overrides` replace declared constants' values; `links`
/// bind its `extern fn`s (`file` names the program in messages about them).
pub(crate) fn elaborate<'a>(
    program: &'a ast::Program,
    overrides: &[(String, Rational)],
    links: &[link::Link<'a>],
    file: &str,
    src_len: usize,
) -> R<core::Program> {
    let mut e = Elab::new();
    e.collect(program, overrides)?;
    e.bind_links(links, file)?;
    e.check_unused_definitions()?;
    e.run(program, src_len)
}

struct Elab<'a> {
    consts: HashMap<String, (Span, GlobalState<'a, ast::Expr>)>,
    aliases: HashMap<String, (Span, AliasState<'a>)>,
    fns: HashMap<String, &'a ast::FnDecl>,
    externs: HashMap<String, (&'a ast::ExternDecl, Option<link::Link<'a>>)>,
    frames: Vec<Frame>,
    blocks: Vec<Vec<Node>>,
    tys: Vec<Ty>,
    ranges: Vec<Option<(BigInt, BigInt)>>,
    call_stack: Vec<String>,
    if_depth: u32,
    iterations: u64,
    nodes: usize,
    inputs: Vec<core::Input>,
    outputs: Vec<core::Output>,
}

impl<'a> Elab<'a> {
    fn new() -> Self {
        Elab {
            consts: HashMap::new(),
            aliases: HashMap::new(),
            fns: HashMap::new(),
            externs: HashMap::new(),
            frames: vec![Frame {
                scopes: vec![HashMap::new()],
            }],
            blocks: vec![Vec::new()],
            tys: Vec::new(),
            ranges: Vec::new(),
            call_stack: Vec::new(),
            if_depth: 0,
            iterations: 0,
            nodes: 0,
            inputs: Vec::new(),
            outputs: Vec::new(),
        }
    }

    // ---- declarations ------------------------------------------------------------------

    fn run(mut self, program: &'a ast::Program, src_len: usize) -> R<core::Program> {
        for item in &program.items {
            match item {
                Item::Input { party, name, ty } => {
                    if let Some(prev) = self.inputs.iter().find(|i| i.name == name.name) {
                        let _ = prev;
                        return Err(Diagnostic::new(
                            name.span.clone(),
                            format!("input `{}` is declared twice", name.name),
                            "expected a new input name",
                        ));
                    }
                    let t = self.resolve_type(ty)?;
                    let idx = self.inputs.len();
                    let range = t.num().map(|n| (n.min_raw(), n.max_raw()));
                    let var = self.emit_raw(Op::Input(idx), t, range, name.span.clone())?;
                    self.inputs.push(core::Input {
                        name: name.name.clone(),
                        party: *party,
                        ty: t,
                        var,
                    });
                    self.bind(
                        &name.name,
                        Binding::Var {
                            var,
                            ty: t,
                            mutable: false,
                            if_depth: 0,
                        },
                    );
                }
                Item::Output { name, ty, value } => {
                    if self.outputs.iter().any(|o| o.name == name.name) {
                        return Err(Diagnostic::new(
                            name.span.clone(),
                            format!("output `{}` is declared twice", name.name),
                            "expected a new output name",
                        ));
                    }
                    let t = self.resolve_type(ty)?;
                    let var = self.expr_to(value, t)?;
                    self.outputs.push(core::Output {
                        name: name.name.clone(),
                        ty: t,
                        var,
                    });
                }
                Item::Stmt(s) => self.stmt(s)?,
                Item::Const { .. } | Item::TypeAlias { .. } | Item::Fn(_) | Item::Extern(_) => {}
            }
        }
        if self.outputs.is_empty() {
            return Err(Diagnostic::new(
                src_len..src_len,
                "the program has no output",
                "expected at least one `output name: type = value;`",
            ));
        }
        let body = self.blocks.pop().unwrap_or_default();
        Ok(core::Program {
            inputs: self.inputs,
            outputs: self.outputs,
            body,
            num_vars: self.tys.len() as u32,
        })
    }

    // ---- scopes ------------------------------------------------------------------------

    fn frame(&mut self) -> &mut Frame {
        if self.frames.is_empty() {
            self.frames.push(Frame {
                scopes: vec![HashMap::new()],
            });
        }
        let i = self.frames.len() - 1;
        &mut self.frames[i]
    }

    fn bind(&mut self, name: &str, b: Binding) {
        let f = self.frame();
        if f.scopes.is_empty() {
            f.scopes.push(HashMap::new());
        }
        let i = f.scopes.len() - 1;
        f.scopes[i].insert(name.to_string(), b);
    }

    fn lookup(&self, name: &str) -> Option<Binding> {
        let f = self.frames.last()?;
        f.scopes.iter().rev().find_map(|s| s.get(name).cloned())
    }

    fn push_scope(&mut self) {
        self.frame().scopes.push(HashMap::new());
    }

    fn pop_scope(&mut self) {
        self.frame().scopes.pop();
    }

    // ---- statements --------------------------------------------------------------------

    fn stmt(&mut self, s: &Stmt) -> R<()> {
        match s {
            Stmt::Let {
                name,
                mutable,
                ty,
                value,
            } => {
                let b = match ty {
                    Some(te) => {
                        let t = self.resolve_type(te)?;
                        let var = self.expr_to(value, t)?;
                        Binding::Var {
                            var,
                            ty: t,
                            mutable: *mutable,
                            if_depth: self.if_depth,
                        }
                    }
                    None => match self.expr(value)? {
                        Val::Const(r) if !mutable => Binding::Const(r),
                        Val::Const(_) => {
                            return Err(Diagnostic::new(
                                name.span.clone(),
                                format!("mutable `{}` needs a stated type", name.name),
                                "expected `let mut name: type = …`",
                            ));
                        }
                        Val::Var(var) => Binding::Var {
                            var,
                            ty: self.ty(var),
                            mutable: *mutable,
                            if_depth: self.if_depth,
                        },
                    },
                };
                self.bind(&name.name, b);
                Ok(())
            }
            Stmt::Assign { name, value } => {
                let found = self.lookup(&name.name);
                match found {
                    Some(Binding::Var {
                        ty,
                        mutable: true,
                        if_depth,
                        ..
                    }) => {
                        if if_depth != self.if_depth {
                            return Err(Diagnostic::new(
                                name.span.clone(),
                                format!("cannot assign to `{}` inside an `if` arm: it is declared outside", name.name),
                                "expected an assignment to a variable declared in this arm",
                            )
                            .with_help(format!("write `{0} = if … {{ … }} else {{ … }};` instead", name.name)));
                        }
                        let var = self.expr_to(value, ty)?;
                        self.rebind(&name.name, var);
                        Ok(())
                    }
                    Some(Binding::Var { .. }) | Some(Binding::Const(_)) => Err(Diagnostic::new(
                        name.span.clone(),
                        format!("cannot assign to `{}`: it is not mutable", name.name),
                        "expected a variable declared with `let mut`",
                    )),
                    None => Err(Diagnostic::new(
                        name.span.clone(),
                        format!("unknown variable `{}`", name.name),
                        "expected a variable declared with `let mut` above",
                    )),
                }
            }
            Stmt::For { var, lo, hi, body } => {
                let a = self.const_int(lo, "a loop bound")?;
                let b = self.const_int(hi, "a loop bound")?;
                let count = (b - a).max(0) as u64;
                self.iterations += count;
                if self.iterations > MAX_ITERATIONS {
                    return Err(Diagnostic::new(
                        lo.span.start..hi.span.end,
                        format!("too many loop iterations (more than {MAX_ITERATIONS} in total)"),
                        "expected smaller loop bounds",
                    ));
                }
                for i in a..b {
                    self.push_scope();
                    self.bind(&var.name, Binding::Const(crate::rational::int(i)));
                    let r = body.iter().try_for_each(|s| self.stmt(s));
                    self.pop_scope();
                    r?;
                }
                Ok(())
            }
        }
    }

    fn rebind(&mut self, name: &str, new_var: VarId) {
        let f = self.frame();
        for scope in f.scopes.iter_mut().rev() {
            if let Some(Binding::Var { var, .. }) = scope.get_mut(name) {
                *var = new_var;
                return;
            }
        }
    }

    // ---- functions ---------------------------------------------------------------------

    /// Elaborates a function body with its parameters bound to `params` (already of the
    /// parameter types); returns the result converted to the return type.
    fn inline_body(&mut self, f: &'a ast::FnDecl, params: &[VarId]) -> R<VarId> {
        let ret = self.resolve_global_type(&f.ret)?;
        let mut scope = HashMap::new();
        for ((p, _), &v) in f.params.iter().zip(params) {
            if scope.contains_key(&p.name) {
                return Err(Diagnostic::new(
                    p.span.clone(),
                    format!("parameter `{}` is declared twice", p.name),
                    "expected distinct parameter names",
                ));
            }
            scope.insert(
                p.name.clone(),
                Binding::Var {
                    var: v,
                    ty: self.ty(v),
                    mutable: false,
                    if_depth: 0,
                },
            );
        }
        let saved_depth = self.if_depth;
        self.if_depth = 0;
        self.frames.push(Frame {
            scopes: vec![scope],
        });
        let body = ast::Expr::new(ast::ExprKind::Block(f.body.clone()), f.body.span.clone());
        let r = self.expr_to(&body, ret);
        self.frames.pop();
        self.if_depth = saved_depth;
        r
    }

    // ---- node emission -----------------------------------------------------------------

    fn ty(&self, v: VarId) -> Ty {
        self.tys.get(v as usize).copied().unwrap_or(Ty::Bool)
    }

    fn range(&self, v: VarId) -> (BigInt, BigInt) {
        match self.ranges.get(v as usize) {
            Some(Some(r)) => r.clone(),
            _ => match self.ty(v) {
                Ty::Num(n) => (n.min_raw(), n.max_raw()),
                Ty::Bool => (BigInt::from(0), BigInt::from(1)),
            },
        }
    }

    fn emit_raw(
        &mut self,
        op: Op,
        ty: Ty,
        range: Option<(BigInt, BigInt)>,
        span: Span,
    ) -> R<VarId> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Diagnostic::new(
                span,
                format!(
                    "program too large: more than {MAX_NODES} operations after inlining and unrolling"
                ),
                "expected fewer loop iterations or calls",
            ));
        }
        let var = self.tys.len() as VarId;
        self.tys.push(ty);
        self.ranges.push(range);
        let node = Node { var, ty, op, span };
        match self.blocks.last_mut() {
            Some(b) => b.push(node),
            None => self.blocks.push(vec![node]),
        }
        Ok(var)
    }
}

fn duplicate(name: &ast::Ident, what: &str, prev: &Span) -> Diagnostic {
    Diagnostic::new(
        name.span.clone(),
        format!("{what} `{}` is defined twice", name.name),
        format!("expected a new {what} name"),
    )
    .with_secondary(prev.clone(), "first defined here")
}
