//! External functions: `extern fn f(x: T) -> R;` bound to another checked program (its
//! inputs are the parameters, its single output the result), inlined at the core level.
//!
//! The linked program was checked on its own, so its constants, types and functions are
//! already resolved into typed core nodes: nothing of it can collide with the names of the
//! program that calls it (they are gone). Its nodes are copied with fresh variables at
//! every call, their spans replaced by the call's.

use super::{BUILTINS, Elab, R, duplicate};
use crate::ast::{self, Item};
use crate::core::{self, Node, Op, VarId};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::types::Ty;

/// A checked program bound to the `extern fn` called `name` (see [`crate::check_linked`]).
#[derive(Clone, Copy, Debug)]
pub struct Link<'a> {
    /// The external function's name in the calling program.
    pub name: &'a str,
    /// The linked program: one input per parameter (in order), exactly one output.
    pub program: &'a core::Program,
    /// Its file name, for messages.
    pub file: &'a str,
    /// Its source text (locates its inputs and output in messages).
    pub source: &'a str,
}

/// Where a program declares its inputs and outputs: `(name, span of the name)` each.
struct Interface {
    inputs: Vec<(String, Span)>,
    outputs: Vec<(String, Span)>,
}

fn interface_spans(source: &str) -> Interface {
    let mut i = Interface {
        inputs: Vec::new(),
        outputs: Vec::new(),
    };
    if let Ok(p) = crate::parser::parse_program(source) {
        for item in p.items {
            match item {
                Item::Input { name, .. } => i.inputs.push((name.name, name.span)),
                Item::Output { name, .. } => i.outputs.push((name.name, name.span)),
                _ => {}
            }
        }
    }
    i
}

/// Checks that `program` (from `file`, text `source`) has exactly one input per entry of
/// `params`, of those types in order, and exactly one output of type `ret`; the error is
/// located in `file`.
pub fn check_interface(
    program: &core::Program,
    file: &str,
    source: &str,
    params: &[Ty],
    ret: Ty,
) -> Result<(), Diagnostics> {
    let spans = interface_spans(source);
    let wanted = signature_text(params, ret);
    let err = |idx: Option<(bool, usize)>, message: String, label: &str| {
        let span = match idx {
            Some((true, k)) => spans.inputs.get(k).map(|(_, s)| s.clone()),
            Some((false, k)) => spans.outputs.get(k).map(|(_, s)| s.clone()),
            None => None,
        };
        let d = match span {
            Some(s) => Diagnostic::new(s, message, label),
            None => Diagnostic::new(source.len()..source.len(), message, label),
        };
        Diagnostics::new(
            file,
            source,
            vec![d.with_help(format!(
                "an activation is a function {wanted}: one `input`, one `output`"
            ))],
        )
    };
    if program.inputs.len() != params.len() {
        let at = (program.inputs.len() > params.len()).then_some((true, params.len()));
        return Err(err(
            at,
            format!(
                "the program has {} input{}, expected {} ({wanted})",
                program.inputs.len(),
                plural(program.inputs.len()),
                params.len()
            ),
            "expected no further input",
        ));
    }
    for (k, (inp, want)) in program.inputs.iter().zip(params).enumerate() {
        if inp.ty != *want {
            return Err(err(
                Some((true, k)),
                format!(
                    "input `{}` has type {}, expected {want} ({wanted})",
                    inp.name, inp.ty
                ),
                &format!("expected an input of type {want}"),
            ));
        }
    }
    match program.outputs.as_slice() {
        [o] if o.ty == ret => Ok(()),
        [o] => Err(err(
            Some((false, 0)),
            format!(
                "output `{}` has type {}, expected {ret} ({wanted})",
                o.name, o.ty
            ),
            &format!("expected an output of type {ret}"),
        )),
        outs => Err(err(
            Some((false, 1)),
            format!(
                "the program has {} outputs, expected 1 ({wanted})",
                outs.len()
            ),
            "expected no further output",
        )),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn signature_text(params: &[Ty], ret: Ty) -> String {
    let ps: Vec<String> = params.iter().map(|t| t.to_string()).collect();
    format!("{} → {ret}", ps.join(", "))
}

/// `file:line:col` of a byte offset of `source`.
fn location(file: &str, source: &str, offset: usize) -> String {
    let d = Diagnostics::new(file, source, Vec::new());
    let (l, c) = d.line_col(offset);
    format!("{file}:{l}:{c}")
}

impl<'a> Elab<'a> {
    /// Registers an `extern fn` declaration (during [`Elab::collect`]).
    pub(super) fn collect_extern(&mut self, x: &'a ast::ExternDecl) -> R<()> {
        let n = &x.name;
        if BUILTINS.contains(&n.name.as_str()) {
            return Err(Diagnostic::new(
                n.span.clone(),
                format!("`{}` is a builtin function and cannot be redefined", n.name),
                "expected another function name here",
            ));
        }
        if let Some(prev) = self.fns.get(&n.name) {
            return Err(duplicate(n, "function", &prev.name.span));
        }
        if let Some((prev, _)) = self.externs.get(&n.name) {
            return Err(duplicate(n, "function", &prev.name.span));
        }
        self.externs.insert(n.name.clone(), (x, None));
        Ok(())
    }

    /// Binds every `extern fn` to its link and checks the interfaces; every extern must be
    /// linked and every link must name an extern.
    pub(super) fn bind_links(&mut self, links: &[Link<'a>], file: &str) -> R<()> {
        for link in links {
            let Some((decl, bound)) = self.externs.get(link.name).map(|(d, b)| (*d, b.is_some()))
            else {
                return Err(Diagnostic::unlocated(format!(
                    "{} is linked as `extern fn {}`, but {file} declares no such function",
                    link.file, link.name
                ))
                .with_help(format!(
                    "declare it in {file}: `extern fn {}(x: …) -> …;`",
                    link.name
                )));
            };
            if bound {
                return Err(Diagnostic::new(
                    decl.name.span.clone(),
                    format!(
                        "`extern fn {}` is linked twice (again to {})",
                        link.name, link.file
                    ),
                    "expected one program per external function",
                ));
            }
            self.check_link(decl, link)?;
            if let Some(e) = self.externs.get_mut(link.name) {
                e.1 = Some(*link);
            }
        }
        let mut unbound: Vec<&ast::ExternDecl> = self
            .externs
            .values()
            .filter(|(_, l)| l.is_none())
            .map(|(d, _)| *d)
            .collect();
        unbound.sort_by_key(|d| d.span.start);
        if let Some(d) = unbound.first() {
            return Err(Diagnostic::new(
                d.span.clone(),
                format!("`extern fn {}` is not linked to a program", d.name.name),
                "expected a program bound to this function",
            )
            .with_help(
                "link it (gcc_nn_compiler::link, or the activation crate's wrappers) to a \
                 program with one input per parameter and one output",
            ));
        }
        Ok(())
    }

    /// The declared signature against the linked program's inputs and output.
    fn check_link(&mut self, decl: &'a ast::ExternDecl, link: &Link<'a>) -> R<()> {
        let spans = interface_spans(link.source);
        let at = |s: Option<&(String, Span)>| match s {
            Some((n, sp)) => format!("`{n}` ({})", location(link.file, link.source, sp.start)),
            None => link.file.to_string(),
        };
        let p = link.program;
        let name = &decl.name.name;
        if p.inputs.len() != decl.params.len() {
            return Err(Diagnostic::new(
                decl.span.clone(),
                format!(
                    "`extern fn {name}` takes {} parameter{}, but the program linked to it, {}, has {} input{}",
                    decl.params.len(),
                    plural(decl.params.len()),
                    link.file,
                    p.inputs.len(),
                    plural(p.inputs.len())
                ),
                "expected one input of the linked program per parameter",
            )
            .with_help(format!(
                "{}'s inputs: {}",
                link.file,
                (0..p.inputs.len())
                    .map(|k| at(spans.inputs.get(k)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        for (k, ((pname, te), inp)) in decl.params.iter().zip(&p.inputs).enumerate() {
            let t = self.resolve_global_type(te)?;
            if t != inp.ty {
                return Err(Diagnostic::new(
                    te.span(),
                    format!(
                        "parameter `{}` of `extern fn {name}` is {t}, but input {} of the linked program {} is {}",
                        pname.name,
                        at(spans.inputs.get(k)),
                        link.file,
                        inp.ty
                    ),
                    format!("the linked program takes {} here", inp.ty),
                ));
            }
        }
        let ret = self.resolve_global_type(&decl.ret)?;
        match p.outputs.as_slice() {
            [o] if o.ty == ret => Ok(()),
            [o] => Err(Diagnostic::new(
                decl.ret.span(),
                format!(
                    "`extern fn {name}` returns {ret}, but output {} of the linked program {} is {}",
                    at(spans.outputs.first()),
                    link.file,
                    o.ty
                ),
                format!("the linked program returns {} here", o.ty),
            )),
            outs => Err(Diagnostic::new(
                decl.span.clone(),
                format!(
                    "`extern fn {name}` returns one value, but the program linked to it, {}, has {} outputs",
                    link.file,
                    outs.len()
                ),
                "expected a linked program with exactly one output",
            )),
        }
    }

    /// A call of an external function: arguments converted to the parameter types, then
    /// the linked program's nodes copied with fresh variables.
    pub(super) fn call_extern(
        &mut self,
        decl: &'a ast::ExternDecl,
        link: Link<'a>,
        args: &[ast::Expr],
        span: &Span,
    ) -> R<VarId> {
        let mut params = Vec::with_capacity(args.len());
        for ((_, te), a) in decl.params.iter().zip(args) {
            let t = self.resolve_global_type(te)?;
            params.push(self.expr_to(a, t)?);
        }
        let p = link.program;
        let mut map: Vec<Option<VarId>> = vec![None; p.num_vars as usize];
        for (inp, &v) in p.inputs.iter().zip(&params) {
            set(&mut map, inp.var, v, span)?;
        }
        self.copy_nodes(&p.body, &mut map, span)?;
        match p.outputs.first() {
            Some(o) => get(&map, o.var, span),
            None => Err(malformed(span)),
        }
    }

    fn copy_nodes(&mut self, nodes: &[Node], map: &mut [Option<VarId>], span: &Span) -> R<()> {
        for n in nodes {
            let m = |v: VarId| get(map, v, span);
            let op = match &n.op {
                Op::Input(_) => continue,
                Op::Const(c) => Op::Const(*c),
                Op::Cast(x) => Op::Cast(m(*x)?),
                Op::Unary(o, x) => Op::Unary(*o, m(*x)?),
                Op::Binary(o, x, y) => Op::Binary(*o, m(*x)?, m(*y)?),
                Op::Shl(x, k) => Op::Shl(m(*x)?, *k),
                Op::Shr(x, k) => Op::Shr(m(*x)?, *k),
                Op::If {
                    cond,
                    then_block,
                    else_block,
                } => {
                    let cond = m(*cond)?;
                    let then_block = self.copy_block(then_block, map, span)?;
                    let else_block = self.copy_block(else_block, map, span)?;
                    Op::If {
                        cond,
                        then_block,
                        else_block,
                    }
                }
            };
            let v = self.emit_raw(op, n.ty, None, span.clone())?;
            set(map, n.var, v, span)?;
        }
        Ok(())
    }

    fn copy_block(
        &mut self,
        b: &core::Block,
        map: &mut [Option<VarId>],
        span: &Span,
    ) -> R<core::Block> {
        self.blocks.push(Vec::new());
        let r = self.copy_nodes(&b.nodes, map, span);
        let nodes = self.blocks.pop().unwrap_or_default();
        r?;
        Ok(core::Block {
            nodes,
            result: get(map, b.result, span)?,
        })
    }
}

fn malformed(span: &Span) -> Diagnostic {
    Diagnostic::new(
        span.clone(),
        "internal error: the linked program is malformed",
        "in the program linked to this call",
    )
}

fn get(map: &[Option<VarId>], v: VarId, span: &Span) -> R<VarId> {
    map.get(v as usize)
        .copied()
        .flatten()
        .ok_or_else(|| malformed(span))
}

fn set(map: &mut [Option<VarId>], v: VarId, to: VarId, span: &Span) -> R<()> {
    match map.get_mut(v as usize) {
        Some(slot) => {
            *slot = Some(to);
            Ok(())
        }
        None => Err(malformed(span)),
    }
}
