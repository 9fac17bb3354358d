//! Statements, blocks and expressions (precedence climbing, `if`, calls, casts).

use super::{KEYWORDS, PResult, Parser};
use crate::ast::*;
use crate::diag::Diagnostic;
use crate::lexer::Tok;

impl Parser {
    // ---- statements --------------------------------------------------------------------

    /// A statement, or `None` if the next token cannot start one.
    pub(super) fn stmt(&mut self) -> PResult<Option<Stmt>> {
        if self.eat_kw("let") {
            let mutable = self.eat_kw("mut");
            let name = self.ident("a variable name after `let`")?;
            let ty = if self.eat_punct(":") {
                Some(self.type_expr()?)
            } else {
                None
            };
            self.expect_punct("=", "and the variable's value")?;
            let value = self.expr()?;
            self.expect_punct(";", "after the `let` statement")?;
            return Ok(Some(Stmt::Let {
                name,
                mutable,
                ty,
                value,
            }));
        }
        if self.is_kw("for") {
            self.enter()?;
            let r = self.for_stmt();
            self.leave();
            return r.map(Some);
        }
        let is_assign = matches!(&self.peek().tok, Tok::Ident(s) if !KEYWORDS.contains(&s.as_str()))
            && matches!(self.peek_at(1), Tok::Punct("="));
        if is_assign {
            let name = self.ident("a variable")?;
            self.bump(); // `=`
            let value = self.expr()?;
            self.expect_punct(";", "after the assignment")?;
            return Ok(Some(Stmt::Assign { name, value }));
        }
        Ok(None)
    }

    pub(super) fn for_stmt(&mut self) -> PResult<Stmt> {
        self.bump(); // `for`
        let var = self.ident("a loop variable after `for`")?;
        self.expect_kw("in", "after the loop variable")?;
        let lo = self.additive()?;
        self.expect_punct("..", "between the loop bounds")?;
        let hi = self.additive()?;
        self.expect_punct("{", "to open the loop body")?;
        let mut body = Vec::new();
        while !self.is_punct("}") {
            match self.stmt()? {
                Some(s) => body.push(s),
                None => {
                    return Err(self.error_here("a statement (`let`, `for`, assignment) or `}`"));
                }
            }
        }
        self.expect_punct("}", "to close the loop body")?;
        Ok(Stmt::For { var, lo, hi, body })
    }

    pub(super) fn block(&mut self) -> PResult<Block> {
        self.enter()?;
        let r = self.block_inner();
        self.leave();
        r
    }

    pub(super) fn block_inner(&mut self) -> PResult<Block> {
        let open = self.expect_punct("{", "to open a block")?;
        let mut stmts = Vec::new();
        loop {
            if self.is_punct("}") {
                return Err(self.error_here("the block's value (an expression) before `}`"));
            }
            match self.stmt()? {
                Some(s) => stmts.push(s),
                None => break,
            }
        }
        let result = Box::new(self.expr()?);
        if !self.is_punct("}") {
            let what = if self.is_punct(";") {
                "`}`: the block's last expression is its value and takes no `;`"
            } else {
                "`}` to close the block (or an operator)"
            };
            return Err(self.error_here(what));
        }
        let close = self.bump().span;
        Ok(Block {
            stmts,
            result,
            span: open.start..close.end,
        })
    }

    // ---- expressions -------------------------------------------------------------------

    /// Any expression.
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.binary(0);
        self.leave();
        r
    }

    pub(super) fn additive(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.binary(5);
        self.leave();
        r
    }

    /// Precedence levels, loosest first.
    pub(super) fn level_op(&self, level: usize) -> Option<BinOp> {
        let p = match &self.peek().tok {
            Tok::Punct(p) => *p,
            _ => return None,
        };
        let op = match (level, p) {
            (0, "||") => BinOp::Or,
            (1, "&&") => BinOp::And,
            (2, "==") => BinOp::Eq,
            (2, "!=") => BinOp::Ne,
            (2, "<") => BinOp::Lt,
            (2, "<=") => BinOp::Le,
            (2, ">") => BinOp::Gt,
            (2, ">=") => BinOp::Ge,
            (3, "^") => BinOp::Xor,
            (4, "<<") => BinOp::Shl,
            (4, ">>") => BinOp::Shr,
            (5, "+") => BinOp::Add,
            (5, "-") => BinOp::Sub,
            (6, "*") => BinOp::Mul,
            (6, "/") => BinOp::Div,
            _ => return None,
        };
        Some(op)
    }

    pub(super) fn binary(&mut self, level: usize) -> PResult<Expr> {
        if level > 6 {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        while let Some(op) = self.level_op(level) {
            let op_span = self.bump().span;
            let rhs = self.binary(level + 1)?;
            let span = lhs.span.start..rhs.span.end;
            lhs = self.deep_check(Expr::new(
                ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            ))?;
            if level == 2 && self.level_op(2).is_some() {
                let t = self.peek();
                return Err(Diagnostic::new(
                    t.span.clone(),
                    "comparisons cannot be chained",
                    "expected `&&`, `||` or the end of the expression here",
                )
                .with_help(format!(
                    "write `(a {} b) && (b … c)` with parentheses",
                    op.symbol()
                )));
            }
            let _ = op_span;
        }
        Ok(lhs)
    }

    pub(super) fn unary(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.unary_inner();
        self.leave();
        r
    }

    /// `prefix ("as" type)*`: as in Rust, `-x as T` is `(-x) as T`.
    pub(super) fn unary_inner(&mut self) -> PResult<Expr> {
        let mut e = self.prefix()?;
        while self.eat_kw("as") {
            let ty = self.type_expr()?;
            let span = e.span.start..ty.span().end;
            e = self.deep_check(Expr::new(ExprKind::Cast(Box::new(e), ty), span))?;
        }
        Ok(e)
    }

    /// `("-" | "!") prefix | primary`
    pub(super) fn prefix(&mut self) -> PResult<Expr> {
        let start = self.peek().span.start;
        let op = if self.is_punct("-") {
            Some(UnOp::Neg)
        } else if self.is_punct("!") {
            Some(UnOp::Not)
        } else {
            None
        };
        let Some(op) = op else {
            return self.primary();
        };
        self.bump();
        self.enter()?;
        let e = self.prefix();
        self.leave();
        let e = e?;
        let span = start..e.span.end;
        self.deep_check(Expr::new(ExprKind::Unary(op, Box::new(e)), span))
    }

    pub(super) fn primary(&mut self) -> PResult<Expr> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Num(v) => {
                self.bump();
                Ok(Expr::new(ExprKind::Num(v.clone()), t.span))
            }
            Tok::Ident(s) if s == "true" || s == "false" => {
                self.bump();
                Ok(Expr::new(ExprKind::Bool(s == "true"), t.span))
            }
            Tok::Ident(s) if s == "if" => self.if_expr(),
            Tok::Ident(s) if !KEYWORDS.contains(&s.as_str()) => {
                let name = self.ident("a name")?;
                if self.eat_punct("(") {
                    let mut args = Vec::new();
                    while !self.is_punct(")") {
                        args.push(self.expr()?);
                        if !self.eat_punct(",") {
                            break;
                        }
                    }
                    let close = self.expect_punct(")", "to close the argument list (or `,`)")?;
                    let span = name.span.start..close.end;
                    return Ok(Expr::new(ExprKind::Call { name, args }, span));
                }
                Ok(Expr::new(ExprKind::Name(name.name), name.span))
            }
            Tok::Punct("(") => {
                self.bump();
                let e = self.expr()?;
                let close = self.expect_punct(")", "to close the parenthesis")?;
                Ok(Expr::new(e.kind, t.span.start..close.end))
            }
            Tok::Punct("{") => {
                let b = self.block()?;
                let span = b.span.clone();
                Ok(Expr::new(ExprKind::Block(b), span))
            }
            _ => Err(self.error_here("an expression (a number, a name, `(`, `if` or `{`)")),
        }
    }

    pub(super) fn if_expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.if_inner();
        self.leave();
        r
    }

    pub(super) fn if_inner(&mut self) -> PResult<Expr> {
        let start = self.expect_kw("if", "")?.start;
        let cond = Box::new(self.expr()?);
        if !self.is_punct("{") {
            return Err(self.error_here("`{` to open the `if` arm"));
        }
        let then_block = self.block()?;
        if !self.is_kw("else") {
            return Err(self
                .error_here("`else`: an `if` is an expression and needs both arms")
                .with_help("add `else { … }` giving the value when the condition is false"));
        }
        self.bump();
        let else_expr = if self.is_kw("if") {
            self.if_expr()?
        } else if self.is_punct("{") {
            let b = self.block()?;
            let span = b.span.clone();
            Expr::new(ExprKind::Block(b), span)
        } else {
            return Err(self.error_here("`{` or `if` after `else`"));
        };
        let span = start..else_expr.span.end;
        Ok(Expr::new(
            ExprKind::If {
                cond,
                then_block,
                else_expr: Box::new(else_expr),
            },
            span,
        ))
    }
}
