//! Declarations: constants (lazily evaluated, overridable), type aliases, functions, and
//! the resolution of written types.

use super::{AliasState, BUILTINS, Elab, Frame, GlobalState, R, Val, duplicate};
use crate::ast::{self, Item, TypeExpr};
use crate::core::Op;
use crate::diag::{Diagnostic, Span};
use crate::rational::{self, Rational};
use crate::types::{MAX_FRAC, MAX_WIDTH, NumTy, Ty};
use std::collections::HashMap;

impl<'a> Elab<'a> {
    pub(super) fn collect(
        &mut self,
        program: &'a ast::Program,
        overrides: &[(String, Rational)],
    ) -> R<()> {
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
                    if let Some((prev, _)) = self.externs.get(&f.name.name) {
                        return Err(duplicate(&f.name, "function", &prev.name.span));
                    }
                    self.fns.insert(f.name.name.clone(), f);
                }
                Item::Extern(x) => self.collect_extern(x)?,
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
    pub(super) fn check_unused_definitions(&mut self) -> R<()> {
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

    pub(super) fn global_const(&mut self, name: &str, use_span: &Span) -> R<Option<Rational>> {
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

    pub(super) fn alias(&mut self, name: &str, use_span: &Span) -> R<Option<Ty>> {
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
    pub(super) fn resolve_type(&mut self, te: &TypeExpr) -> R<Ty> {
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
    pub(super) fn const_value(&mut self, e: &ast::Expr, what: &str) -> R<Rational> {
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
    pub(super) fn const_int(&mut self, e: &ast::Expr, what: &str) -> R<i64> {
        let r = self.const_value(e, what)?;
        match rational::to_i64(&r) {
            Some(v) if v.unsigned_abs() < (1 << 40) => Ok(v),
            _ => Err(Diagnostic::new(
                e.span.clone(),
                format!(
                    "{what} must be a small integer, found {}",
                    rational::decimal(&r)
                ),
                "expected an integer constant here",
            )),
        }
    }

    // ---- the program -------------------------------------------------------------------
}
