//! Type checking and elaboration: AST → core IR ([`crate::core::Program`]).
//!
//! One pass does both: names are resolved, types computed by the rules of `dsl/README.md`,
//! functions inlined, loops unrolled and constants folded, while the core nodes are
//! emitted. The first error stops the pass.

mod expr;

use crate::ast::{self, Item, Stmt, TypeExpr};
use crate::core::{self, Node, Op, VarId};
use crate::diag::{Diagnostic, Span};
use crate::rational::Rational;
use crate::types::{MAX_FRAC, MAX_WIDTH, NumTy, Ty};
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

/// Elaborates a parsed program; `overrides` replace declared constants' values.
pub(crate) fn elaborate(
    program: &ast::Program,
    overrides: &[(String, Rational)],
    src_len: usize,
) -> R<core::Program> {
    let mut e = Elab::new();
    e.collect(program, overrides)?;
    e.check_unused_definitions()?;
    e.run(program, src_len)
}

struct Elab<'a> {
    consts: HashMap<String, (Span, GlobalState<'a, ast::Expr>)>,
    aliases: HashMap<String, (Span, AliasState<'a>)>,
    fns: HashMap<String, &'a ast::FnDecl>,
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

    fn collect(&mut self, program: &'a ast::Program, overrides: &[(String, Rational)]) -> R<()> {
        for item in &program.items {
            match item {
                Item::Const { name, value } => {
                    if let Some((prev, _)) = self.consts.get(&name.name) {
                        return Err(duplicate(name, "constant", prev));
                    }
                    self.consts.insert(
                        name.name.clone(),
                        (name.span.clone(), GlobalState::Pending(value)),
                    );
                }
                Item::TypeAlias { name, ty } => {
                    if let Some((prev, _)) = self.aliases.get(&name.name) {
                        return Err(duplicate(name, "type", prev));
                    }
                    self.aliases.insert(
                        name.name.clone(),
                        (name.span.clone(), AliasState::Pending(ty)),
                    );
                }
                Item::Fn(f) => {
                    if BUILTINS.contains(&f.name.name.as_str()) {
                        return Err(Diagnostic::new(
                            f.name.span.clone(),
                            format!(
                                "`{}` is a builtin function and cannot be redefined",
                                f.name.name
                            ),
                            "expected another function name here",
                        ));
                    }
                    if let Some(prev) = self.fns.get(&f.name.name) {
                        return Err(duplicate(&f.name, "function", &prev.name.span));
                    }
                    self.fns.insert(f.name.name.clone(), f);
                }
                _ => {}
            }
        }
        for (name, value) in overrides {
            match self.consts.get_mut(name) {
                Some((_, state)) => *state = GlobalState::Done(Box::new(Ok(value.clone()))),
                None => {
                    let mut known: Vec<&String> = self.consts.keys().collect();
                    known.sort();
                    let list = if known.is_empty() {
                        "none".to_string()
                    } else {
                        known
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    return Err(Diagnostic::unlocated(format!(
                        "cannot override `{name}`: the program declares no constant of that name (constants: {list})"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Evaluates every constant and alias and type-checks every function body once, so
    /// that errors in unused definitions are reported too. Leaves no trace.
    fn check_unused_definitions(&mut self) -> R<()> {
        let mut names: Vec<(String, Span)> = self
            .consts
            .iter()
            .map(|(k, (s, _))| (k.clone(), s.clone()))
            .collect();
        names.sort_by_key(|(_, s)| s.start);
        for (n, s) in names {
            self.global_const(&n, &s)?;
        }
        let mut aliases: Vec<(String, Span)> = self
            .aliases
            .iter()
            .map(|(k, (s, _))| (k.clone(), s.clone()))
            .collect();
        aliases.sort_by_key(|(_, s)| s.start);
        for (n, s) in aliases {
            self.alias(&n, &s)?;
        }
        let mut fns: Vec<&'a ast::FnDecl> = self.fns.values().copied().collect();
        fns.sort_by_key(|f| f.name.span.start);
        for f in fns {
            let saved = (self.tys.len(), self.nodes);
            self.blocks.push(Vec::new());
            let mut params = Vec::new();
            for (p, t) in &f.params {
                let ty = self.resolve_global_type(t)?;
                let range = ty.num().map(|n| (n.min_raw(), n.max_raw()));
                let v = self.emit_raw(Op::Const(0), ty, range, p.span.clone())?;
                params.push(v);
            }
            self.call_stack.push(f.name.name.clone());
            let r = self.inline_body(f, &params);
            self.call_stack.pop();
            self.blocks.pop();
            self.tys.truncate(saved.0);
            self.ranges.truncate(saved.0);
            self.nodes = saved.1;
            r?;
        }
        Ok(())
    }

    fn global_const(&mut self, name: &str, use_span: &Span) -> R<Option<Rational>> {
        let Some((decl_span, state)) = self.consts.get_mut(name) else {
            return Ok(None);
        };
        let decl_span = decl_span.clone();
        match std::mem::replace(state, GlobalState::Busy) {
            GlobalState::Done(v) => {
                let out = (*v).clone();
                *state = GlobalState::Done(v);
                match out {
                    Ok(r) => Ok(Some(r)),
                    Err(()) => Err(Diagnostic::new(
                        use_span.clone(),
                        format!("constant `{name}` has an invalid value"),
                        "this constant could not be evaluated",
                    )),
                }
            }
            GlobalState::Busy => Err(Diagnostic::new(
                decl_span,
                format!("constant `{name}` is defined in terms of itself"),
                "expected a definition that does not refer back to this constant",
            )),
            GlobalState::Pending(expr) => {
                // Evaluate in an empty frame: constants see only other constants.
                self.frames.push(Frame {
                    scopes: vec![HashMap::new()],
                });
                self.blocks.push(Vec::new());
                let saved = (self.tys.len(), self.nodes);
                let r = self.const_value(expr, "a constant's value");
                self.blocks.pop();
                self.tys.truncate(saved.0);
                self.ranges.truncate(saved.0);
                self.nodes = saved.1;
                self.frames.pop();
                let stored = r.clone().map_err(|_| ());
                if let Some((_, st)) = self.consts.get_mut(name) {
                    *st = GlobalState::Done(Box::new(stored));
                }
                r.map(Some)
            }
        }
    }

    fn alias(&mut self, name: &str, use_span: &Span) -> R<Option<Ty>> {
        let Some((decl_span, state)) = self.aliases.get_mut(name) else {
            return Ok(None);
        };
        let decl_span = decl_span.clone();
        match std::mem::replace(state, AliasState::Busy) {
            AliasState::Done(t) => {
                *state = AliasState::Done(t);
                Ok(Some(t))
            }
            AliasState::Busy => Err(Diagnostic::new(
                decl_span,
                format!("type `{name}` is defined in terms of itself"),
                "expected a type that does not refer back to this alias",
            )),
            AliasState::Pending(te) => {
                self.frames.push(Frame {
                    scopes: vec![HashMap::new()],
                });
                let r = self.resolve_type(te);
                self.frames.pop();
                let _ = use_span;
                match r {
                    Ok(t) => {
                        if let Some((_, st)) = self.aliases.get_mut(name) {
                            *st = AliasState::Done(t);
                        }
                        Ok(Some(t))
                    }
                    Err(e) => {
                        if let Some((_, st)) = self.aliases.get_mut(name) {
                            *st = AliasState::Pending(te);
                        }
                        Err(e)
                    }
                }
            }
        }
    }

    /// Resolves a written type.
    fn resolve_type(&mut self, te: &TypeExpr) -> R<Ty> {
        match te {
            TypeExpr::Bool(_) => Ok(Ty::Bool),
            TypeExpr::Named(id) => match self.alias(&id.name, &id.span)? {
                Some(t) => Ok(t),
                None => Err(Diagnostic::new(
                    id.span.clone(),
                    format!("unknown type `{}`", id.name),
                    "expected `bool`, `int<n>`, `uint<n>`, `fixed<n, f>`, `ufixed<n, f>` or a `type` alias",
                )),
            },
            TypeExpr::Num {
                signed,
                width,
                frac,
                ..
            } => {
                let w = self.const_int(width, "a bit width")?;
                if w < 1 || w > i64::from(MAX_WIDTH) {
                    return Err(Diagnostic::new(
                        width.span.clone(),
                        format!("bit width {w} is out of range"),
                        format!("expected a width between 1 and {MAX_WIDTH}"),
                    ));
                }
                let f = match frac {
                    Some(fe) => {
                        let f = self.const_int(fe, "a number of fractional bits")?;
                        if f < 0 || f > i64::from(MAX_FRAC) {
                            return Err(Diagnostic::new(
                                fe.span.clone(),
                                format!("{f} fractional bits is out of range"),
                                format!("expected between 0 and {MAX_FRAC} fractional bits"),
                            ));
                        }
                        f as u32
                    }
                    None => 0,
                };
                Ok(Ty::Num(NumTy {
                    signed: *signed,
                    width: w as u32,
                    frac: f,
                }))
            }
        }
    }

    /// Evaluates an expression that must be a compile-time number.
    fn const_value(&mut self, e: &ast::Expr, what: &str) -> R<Rational> {
        self.blocks.push(Vec::new());
        let saved = (self.tys.len(), self.nodes);
        let v = self.expr(e);
        self.blocks.pop();
        self.tys.truncate(saved.0);
        self.ranges.truncate(saved.0);
        self.nodes = saved.1;
        match v? {
            Val::Const(r) => Ok(r),
            Val::Var(_) => Err(Diagnostic::new(
                e.span.clone(),
                format!("{what} must be known at compile time"),
                "expected a compile-time constant (numbers, `const`s, loop variables)",
            )),
        }
    }

    /// Evaluates an expression that must be a compile-time integer.
    fn const_int(&mut self, e: &ast::Expr, what: &str) -> R<i64> {
        let r = self.const_value(e, what)?;
        match r.to_i64() {
            Some(v) if v.unsigned_abs() < (1 << 40) => Ok(v),
            _ => Err(Diagnostic::new(
                e.span.clone(),
                format!("{what} must be a small integer, found {r}"),
                "expected an integer constant here",
            )),
        }
    }

    // ---- the program -------------------------------------------------------------------

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
                Item::Const { .. } | Item::TypeAlias { .. } | Item::Fn(_) => {}
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
                    self.bind(&var.name, Binding::Const(Rational::from_int(i)));
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

fn duplicate(name: &ast::Ident, what: &str, _prev: &Span) -> Diagnostic {
    Diagnostic::new(
        name.span.clone(),
        format!("{what} `{}` is defined twice", name.name),
        format!("expected a new {what} name"),
    )
}
