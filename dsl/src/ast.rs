//! Abstract syntax tree: what the parser produces, every node with its byte span.

use crate::diag::Span;
use crate::rational::Rational;

/// A whole source file.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Items in source order.
    pub items: Vec<Item>,
}

/// A name and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Its bytes in the source.
    pub span: Span,
}

/// Who supplies an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Party {
    /// The garbler (builds the circuit, sends its own labels).
    Garbler,
    /// The evaluator (gets its labels by oblivious transfer).
    Evaluator,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `const NAME = cexpr;`
    Const {
        /// Name.
        name: Ident,
        /// Value (a constant expression).
        value: Expr,
    },
    /// `type NAME = type;`
    TypeAlias {
        /// Name.
        name: Ident,
        /// Aliased type.
        ty: TypeExpr,
    },
    /// `fn name(params) -> ty { … }`
    Fn(FnDecl),
    /// `extern fn name(params) -> ty;`: bound to another program by the linker.
    Extern(ExternDecl),
    /// `input party name: ty;`
    Input {
        /// Supplier.
        party: Party,
        /// Name.
        name: Ident,
        /// Type.
        ty: TypeExpr,
    },
    /// `output name: ty = expr;`
    Output {
        /// Name.
        name: Ident,
        /// Stated type.
        ty: TypeExpr,
        /// Value.
        value: Expr,
    },
    /// A top-level statement.
    Stmt(Stmt),
}

/// A function declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct FnDecl {
    /// Name.
    pub name: Ident,
    /// Parameters with their types.
    pub params: Vec<(Ident, TypeExpr)>,
    /// Return type.
    pub ret: TypeExpr,
    /// Body.
    pub body: Block,
}

/// An external function: a signature whose body is another program, bound by
/// [`crate::check_linked`] (that program's inputs are the parameters, its output the result).
#[derive(Clone, Debug, PartialEq)]
pub struct ExternDecl {
    /// Name.
    pub name: Ident,
    /// Parameters with their types.
    pub params: Vec<(Ident, TypeExpr)>,
    /// Return type.
    pub ret: TypeExpr,
    /// The whole declaration.
    pub span: Span,
}

/// A written type.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeExpr {
    /// `bool`
    Bool(Span),
    /// `int<n>`, `uint<n>`, `fixed<n,f>`, `ufixed<n,f>` (frac `None` for the integer forms).
    Num {
        /// Two's complement or unsigned.
        signed: bool,
        /// Width expression.
        width: Box<Expr>,
        /// Fractional-bits expression.
        frac: Option<Box<Expr>>,
        /// The whole type.
        span: Span,
    },
    /// A `type` alias.
    Named(Ident),
}

impl TypeExpr {
    /// Where the type was written.
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Bool(s) => s.clone(),
            TypeExpr::Num { span, .. } => span.clone(),
            TypeExpr::Named(i) => i.span.clone(),
        }
    }
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `let [mut] name[: ty] = value;`
    Let {
        /// Name.
        name: Ident,
        /// Declared `mut`.
        mutable: bool,
        /// Stated type, if any.
        ty: Option<TypeExpr>,
        /// Value.
        value: Expr,
    },
    /// `name = value;`
    Assign {
        /// Target.
        name: Ident,
        /// Value.
        value: Expr,
    },
    /// `for var in lo..hi { body }`
    For {
        /// Loop variable (a constant in the body).
        var: Ident,
        /// First value.
        lo: Expr,
        /// End (exclusive).
        hi: Expr,
        /// Body.
        body: Vec<Stmt>,
    },
}

/// `{ stmts; result }`
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// Statements.
    pub stmts: Vec<Stmt>,
    /// The block's value.
    pub result: Box<Expr>,
    /// The braces and everything in them.
    pub span: Span,
}

/// An expression and its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
    /// Height of the expression tree (1 for a leaf; statements of blocks included).
    pub depth: u32,
}

impl Expr {
    /// An expression node; its depth is computed from its children.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        let depth = 1 + match &kind {
            ExprKind::Num(_) | ExprKind::Bool(_) | ExprKind::Name(_) => 0,
            ExprKind::Call { args, .. } => args.iter().map(|a| a.depth).max().unwrap_or(0),
            ExprKind::Unary(_, a) | ExprKind::Cast(a, _) => a.depth,
            ExprKind::Binary(_, a, b) => a.depth.max(b.depth),
            ExprKind::If {
                cond,
                then_block,
                else_expr,
            } => cond.depth.max(then_block.depth()).max(else_expr.depth),
            ExprKind::Block(b) => b.depth(),
        };
        Expr { kind, span, depth }
    }
}

impl Block {
    /// Height of the deepest expression in the block.
    pub fn depth(&self) -> u32 {
        stmts_depth(&self.stmts).max(self.result.depth)
    }
}

fn stmts_depth(stmts: &[Stmt]) -> u32 {
    stmts
        .iter()
        .map(|s| match s {
            Stmt::Let { value, .. } | Stmt::Assign { value, .. } => value.depth,
            Stmt::For { lo, hi, body, .. } => lo.depth.max(hi.depth).max(stmts_depth(body) + 1),
        })
        .max()
        .unwrap_or(0)
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `-`
    Neg,
    /// `!`
    Not,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (constants only)
    Div,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `^`
    Xor,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(&self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::Xor => "^",
        }
    }
}

/// Expression forms.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number literal.
    Num(Rational),
    /// `true` / `false`.
    Bool(bool),
    /// A variable or constant.
    Name(String),
    /// `f(args)`: a function or builtin call.
    Call {
        /// Callee.
        name: Ident,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `-e`, `!e`
    Unary(UnOp, Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `e as T`
    Cast(Box<Expr>, TypeExpr),
    /// `if cond { … } else …`
    If {
        /// Condition.
        cond: Box<Expr>,
        /// Then arm.
        then_block: Block,
        /// Else arm: a block expression or another `if`.
        else_expr: Box<Expr>,
    },
    /// `{ … }`
    Block(Block),
}
