//! Recursive-descent parser over the lexer's tokens: tokens → [`ast::Program`].

use crate::ast::*;
use crate::diag::{Diagnostic, Span};
use crate::lexer::{Tok, Token, lex};

mod expr;

/// Reserved words: never usable as names.
pub(crate) const KEYWORDS: [&str; 22] = [
    "const",
    "fn",
    "extern",
    "let",
    "mut",
    "input",
    "output",
    "garbler",
    "evaluator",
    "if",
    "else",
    "for",
    "in",
    "as",
    "true",
    "false",
    "type",
    "int",
    "uint",
    "fixed",
    "ufixed",
    "bool",
];

/// Deepest recursion of the parser (parentheses, blocks, loops, unary chains).
const MAX_NESTING: usize = 512;
/// Tallest expression tree accepted (guards the stack of every later pass).
const MAX_DEPTH: usize = 256;

/// Parses a whole program.
pub(crate) fn parse_program(src: &str) -> Result<Program, Diagnostic> {
    let tokens = lex(src)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let mut items = Vec::new();
    while !p.at_eof() {
        items.push(p.item()?);
    }
    Ok(Program { items })
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

type PResult<T> = Result<T, Diagnostic>;

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) if KEYWORDS.contains(&s.as_str()) => format!("keyword `{s}`"),
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Num(v) => format!("number `{}`", crate::rational::decimal(v)),
        Tok::Punct(p) => format!("`{p}`"),
        Tok::Eof => "end of file".to_string(),
    }
}

impl Parser {
    fn peek(&self) -> &Token {
        // The token list always ends with Eof and pos never passes it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_at(&self, k: usize) -> &Tok {
        &self.tokens[(self.pos + k).min(self.tokens.len() - 1)].tok
    }

    fn at_eof(&self) -> bool {
        self.peek().tok == Tok::Eof
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    fn prev_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.tokens[self.pos - 1].span.end
        }
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(&self.peek().tok, Tok::Punct(q) if *q == p)
    }

    fn is_kw(&self, k: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(s) if s == k)
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        if self.is_punct(p) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_kw(&mut self, k: &str) -> bool {
        if self.is_kw(k) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn error_here(&self, what: &str) -> Diagnostic {
        let t = self.peek();
        Diagnostic::new(
            t.span.clone(),
            format!("expected {what}, found {}", describe(&t.tok)),
            format!("expected {what} here"),
        )
    }

    fn expect_punct(&mut self, p: &str, context: &str) -> PResult<Span> {
        if self.is_punct(p) {
            Ok(self.bump().span)
        } else {
            Err(self.error_here(&format!("`{p}` {context}")))
        }
    }

    fn expect_kw(&mut self, k: &str, context: &str) -> PResult<Span> {
        if self.is_kw(k) {
            Ok(self.bump().span)
        } else {
            Err(self.error_here(&format!("`{k}` {context}")))
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Ident> {
        match &self.peek().tok {
            Tok::Ident(s) if !KEYWORDS.contains(&s.as_str()) => {
                let name = s.clone();
                let span = self.bump().span;
                Ok(Ident { name, span })
            }
            _ => Err(self.error_here(what)),
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            let t = self.peek();
            return Err(Diagnostic::new(
                t.span.clone(),
                format!("program nested more than {MAX_NESTING} levels deep"),
                "expected a shallower expression here",
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Rejects expression trees taller than [`MAX_DEPTH`] (long operator chains included),
    /// so that no later recursive pass can exhaust the stack.
    fn deep_check(&self, e: Expr) -> PResult<Expr> {
        if e.depth as usize > MAX_DEPTH {
            return Err(Diagnostic::new(
                e.span.start..e.span.start + 1,
                format!("expression more than {MAX_DEPTH} levels deep"),
                "expected a shorter expression here",
            )
            .with_help("split it into several `let` statements"));
        }
        Ok(e)
    }

    // ---- items -------------------------------------------------------------------------

    fn item(&mut self) -> PResult<Item> {
        if self.eat_kw("const") {
            let name = self.ident("a constant name after `const`")?;
            self.expect_punct("=", "after the constant name")?;
            let value = self.expr()?;
            self.expect_punct(";", "after the constant's value")?;
            return Ok(Item::Const { name, value });
        }
        if self.eat_kw("type") {
            let name = self.ident("a type name after `type`")?;
            self.expect_punct("=", "after the type name")?;
            let ty = self.type_expr()?;
            self.expect_punct(";", "after the type")?;
            return Ok(Item::TypeAlias { name, ty });
        }
        if self.eat_kw("fn") {
            return Ok(Item::Fn(self.fn_decl()?));
        }
        if self.is_kw("extern") {
            return Ok(Item::Extern(self.extern_decl()?));
        }
        if self.eat_kw("input") {
            let party = if self.eat_kw("garbler") {
                Party::Garbler
            } else if self.eat_kw("evaluator") {
                Party::Evaluator
            } else {
                return Err(self.error_here("`garbler` or `evaluator` after `input`"));
            };
            let name = self.ident("the input's name")?;
            self.expect_punct(":", "and the input's type")?;
            let ty = self.type_expr()?;
            self.expect_punct(";", "after the input declaration")?;
            return Ok(Item::Input { party, name, ty });
        }
        if self.eat_kw("output") {
            let name = self.ident("the output's name")?;
            self.expect_punct(":", "and the output's type (outputs always state a type)")?;
            let ty = self.type_expr()?;
            self.expect_punct("=", "and the output's value")?;
            let value = self.expr()?;
            self.expect_punct(";", "after the output's value")?;
            return Ok(Item::Output { name, ty, value });
        }
        match self.stmt()? {
            Some(s) => Ok(Item::Stmt(s)),
            None => Err(self.error_here(
                "an item (`const`, `type`, `fn`, `extern fn`, `input`, `output`, `let`, `for` or an assignment)",
            )),
        }
    }

    /// `extern fn name(params) -> type;`
    fn extern_decl(&mut self) -> PResult<ExternDecl> {
        let start = self.bump().span.start; // `extern`
        self.expect_kw("fn", "after `extern`")?;
        let name = self.ident("a function name after `extern fn`")?;
        let (params, ret) = self.signature()?;
        self.expect_punct(
            ";",
            "after an extern function's signature (its body is the linked program)",
        )?;
        Ok(ExternDecl {
            name,
            params,
            ret,
            span: start..self.prev_end(),
        })
    }

    /// `(params) -> type`: the parameter list and return type of a function.
    fn signature(&mut self) -> PResult<(Vec<(Ident, TypeExpr)>, TypeExpr)> {
        self.expect_punct("(", "to open the parameter list")?;
        let mut params = Vec::new();
        while !self.is_punct(")") {
            let p = self.ident("a parameter name or `)`")?;
            self.expect_punct(":", "and the parameter's type")?;
            let t = self.type_expr()?;
            params.push((p, t));
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct(")", "to close the parameter list")?;
        self.expect_punct("->", "and the return type (functions always state it)")?;
        let ret = self.type_expr()?;
        Ok((params, ret))
    }

    fn fn_decl(&mut self) -> PResult<FnDecl> {
        let name = self.ident("a function name after `fn`")?;
        let (params, ret) = self.signature()?;
        let body = self.block()?;
        Ok(FnDecl {
            name,
            params,
            ret,
            body,
        })
    }

    fn type_expr(&mut self) -> PResult<TypeExpr> {
        let start = self.peek().span.start;
        let (signed, has_frac) = match &self.peek().tok {
            Tok::Ident(s) if s == "bool" => {
                let span = self.bump().span;
                return Ok(TypeExpr::Bool(span));
            }
            Tok::Ident(s) if s == "int" => (true, false),
            Tok::Ident(s) if s == "uint" => (false, false),
            Tok::Ident(s) if s == "fixed" => (true, true),
            Tok::Ident(s) if s == "ufixed" => (false, true),
            Tok::Ident(s) if !KEYWORDS.contains(&s.as_str()) => {
                return Ok(TypeExpr::Named(self.ident("a type")?));
            }
            _ => {
                return Err(self.error_here(
                    "a type (`bool`, `int<n>`, `uint<n>`, `fixed<n, f>`, `ufixed<n, f>` or an alias)",
                ));
            }
        };
        let kw = self.bump();
        let kwname = match &kw.tok {
            Tok::Ident(s) => s.clone(),
            _ => String::new(),
        };
        self.expect_punct("<", &format!("after `{kwname}`"))?;
        let width = Box::new(self.type_arg()?);
        let frac = if has_frac {
            self.expect_punct(",", "between the width and the fractional bits")?;
            Some(Box::new(self.type_arg()?))
        } else {
            None
        };
        self.expect_punct(">", "to close the type's parameters")?;
        Ok(TypeExpr::Num {
            signed,
            width,
            frac,
            span: start..self.prev_end(),
        })
    }

    /// A constant expression inside `<…>`: `+ - *` over atoms (no `<`/`>` operators).
    fn type_arg(&mut self) -> PResult<Expr> {
        let mut lhs = self.type_arg_term()?;
        loop {
            let op = if self.is_punct("+") {
                BinOp::Add
            } else if self.is_punct("-") {
                BinOp::Sub
            } else {
                return Ok(lhs);
            };
            self.bump();
            let rhs = self.type_arg_term()?;
            let span = lhs.span.start..rhs.span.end;
            lhs = self.deep_check(Expr::new(
                ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            ))?;
        }
    }

    fn type_arg_term(&mut self) -> PResult<Expr> {
        let mut lhs = self.type_arg_atom()?;
        while self.eat_punct("*") {
            let rhs = self.type_arg_atom()?;
            let span = lhs.span.start..rhs.span.end;
            lhs = self.deep_check(Expr::new(
                ExprKind::Binary(BinOp::Mul, Box::new(lhs), Box::new(rhs)),
                span,
            ))?;
        }
        Ok(lhs)
    }

    fn type_arg_atom(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.type_arg_atom_inner();
        self.leave();
        r
    }

    fn type_arg_atom_inner(&mut self) -> PResult<Expr> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Num(v) => {
                self.bump();
                Ok(Expr::new(ExprKind::Num(v.clone()), t.span))
            }
            Tok::Ident(s) if !KEYWORDS.contains(&s.as_str()) => {
                self.bump();
                Ok(Expr::new(ExprKind::Name(s.clone()), t.span))
            }
            Tok::Punct("(") => {
                self.bump();
                let e = self.expr()?;
                self.expect_punct(")", "to close the parenthesis")?;
                Ok(e)
            }
            Tok::Punct("-") => {
                self.bump();
                let e = self.type_arg_atom()?;
                let span = t.span.start..e.span.end;
                Ok(Expr::new(ExprKind::Unary(UnOp::Neg, Box::new(e)), span))
            }
            _ => Err(self.error_here("a constant (number or constant name) as a type parameter")),
        }
    }
}
