//! Lexer (nom): source text → tokens with byte spans.

use crate::diag::{Diagnostic, Span};
use crate::rational::{self, Rational};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_until, take_while, take_while1};
use nom::character::complete::{char, satisfy};
use nom::combinator::{opt, recognize};
use nom::sequence::pair;
use nom::{IResult, Parser};
use num_bigint::BigInt;
use num_traits::Num;

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A name or keyword.
    Ident(String),
    /// A number literal (exact).
    Num(Rational),
    /// Punctuation or operator, e.g. `"<="`.
    Punct(&'static str),
    /// End of input.
    Eof,
}

/// A token and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Its bytes in the source.
    pub span: Span,
}

/// Operators and punctuation, longest first so that `<=` wins over `<`.
const PUNCTS: [&str; 31] = [
    "||", "&&", "==", "!=", "<=", ">=", "<<", ">>", "->", "..", "(", ")", "{", "}", "<", ">", ",",
    ";", ":", "=", "+", "-", "*", "/", "!", "^", "@", "[", "]", "&", "|",
];

/// Splits `src` into tokens (the last is [`Tok::Eof`]).
pub fn lex(src: &str) -> Result<Vec<Token>, Diagnostic> {
    let mut tokens = Vec::new();
    let mut rest = src;
    loop {
        rest = skip_trivia(src, rest)?;
        let start = src.len() - rest.len();
        if rest.is_empty() {
            tokens.push(Token {
                tok: Tok::Eof,
                span: start..start,
            });
            return Ok(tokens);
        }
        let (next, tok) = one_token(src, rest)?;
        let end = src.len() - next.len();
        tokens.push(Token {
            tok,
            span: start..end,
        });
        rest = next;
    }
}

fn skip_trivia<'a>(src: &str, mut rest: &'a str) -> Result<&'a str, Diagnostic> {
    loop {
        let trimmed = rest.trim_start();
        if let Ok((r, _)) = line_comment(trimmed) {
            rest = r;
        } else if let Some(body) = trimmed.strip_prefix("/*") {
            match take_until::<_, _, nom::error::Error<&str>>("*/").parse(body) {
                Ok((r, _)) => rest = &r[2..],
                Err(_) => {
                    let at = src.len() - trimmed.len();
                    return Err(Diagnostic::new(
                        at..at + 2,
                        "unterminated block comment",
                        "this `/*` has no matching `*/`",
                    ));
                }
            }
        } else {
            return Ok(trimmed);
        }
    }
}

fn line_comment(i: &str) -> IResult<&str, &str> {
    recognize(pair(tag("//"), take_while(|c| c != '\n'))).parse(i)
}

fn ident(i: &str) -> IResult<&str, &str> {
    recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(i)
}

fn digits(i: &str) -> IResult<&str, &str> {
    recognize(pair(
        satisfy(|c| c.is_ascii_digit()),
        take_while(|c: char| c.is_ascii_digit() || c == '_'),
    ))
    .parse(i)
}

/// Parts of a decimal literal: integer digits, fraction digits, exponent (sign, digits).
type DecimalParts<'a> = (&'a str, Option<&'a str>, Option<(Option<char>, &'a str)>);

/// `digits ["." digits] [("e"|"E") ["+"|"-"] digits]`
fn decimal(i: &str) -> IResult<&str, DecimalParts<'_>> {
    (
        digits,
        opt(pair(char('.'), digits).map(|(_, f)| f)),
        opt((
            alt((char('e'), char('E'))),
            opt(alt((char('+'), char('-')))),
            digits,
        )
            .map(|(_, s, d)| (s, d))),
    )
        .parse(i)
}

fn radix_literal(i: &str) -> IResult<&str, (u32, &str)> {
    alt((
        pair(
            alt((tag("0x"), tag("0X"))),
            take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_'),
        )
        .map(|(_, d)| (16, d)),
        pair(
            alt((tag("0b"), tag("0B"))),
            take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_'),
        )
        .map(|(_, d)| (2, d)),
    ))
    .parse(i)
}

fn one_token<'a>(src: &str, rest: &'a str) -> Result<(&'a str, Tok), Diagnostic> {
    let start = src.len() - rest.len();
    if let Ok((r, (radix, body))) = radix_literal(rest) {
        let clean: String = body.chars().filter(|&c| c != '_').collect();
        let span = start..src.len() - r.len();
        return match BigInt::from_str_radix(&clean, radix) {
            Ok(v) if !clean.is_empty() => Ok((r, Tok::Num(rational::int(v)))),
            _ => Err(Diagnostic::new(
                span,
                format!("malformed base-{radix} number"),
                format!(
                    "expected {} digits",
                    if radix == 16 { "hexadecimal" } else { "binary" }
                ),
            )),
        };
    }
    if let Ok((r, (int, frac, exp))) = decimal(rest) {
        let span = start..src.len() - r.len();
        if r.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            let bad_end = span.end + r.chars().next().map_or(0, char::len_utf8);
            return Err(Diagnostic::new(
                span.start..bad_end,
                "malformed number",
                "expected digits, `.`, or an exponent like `e-3`",
            ));
        }
        return match decimal_value(int, frac, exp) {
            Some(v) => Ok((r, Tok::Num(v))),
            None => Err(Diagnostic::new(
                span,
                "number too large",
                "exponent must be at most 400 in magnitude",
            )),
        };
    }
    if let Ok((r, name)) = ident(rest) {
        return Ok((r, Tok::Ident(name.to_string())));
    }
    for p in PUNCTS {
        if let Some(r) = rest.strip_prefix(p) {
            return Ok((r, Tok::Punct(p)));
        }
    }
    let c = rest.chars().next().unwrap_or(' ');
    Err(Diagnostic::new(
        start..start + c.len_utf8(),
        format!("unexpected character {c:?}"),
        "expected a name, a number, an operator or punctuation",
    ))
}

fn decimal_value(
    int: &str,
    frac: Option<&str>,
    exp: Option<(Option<char>, &str)>,
) -> Option<Rational> {
    let int: String = int.chars().filter(|&c| c != '_').collect();
    let frac: String = frac.unwrap_or("").chars().filter(|&c| c != '_').collect();
    let mantissa: BigInt = format!("{int}{frac}").parse().ok()?;
    let mut e: i64 = -(frac.len() as i64);
    if let Some((sign, d)) = exp {
        let d: String = d.chars().filter(|&c| c != '_').collect();
        let v: i64 = d.parse().ok().filter(|v: &i64| *v <= 400)?;
        e += if sign == Some('-') { -v } else { v };
    }
    if e.abs() > 1000 {
        return None;
    }
    let ten = BigInt::from(10);
    if e >= 0 {
        Some(rational::int(mantissa * ten.pow(e as u32)))
    } else {
        Some(Rational::new(mantissa, ten.pow((-e) as u32)))
    }
}

/// Parses a signed number text (`-0.5`, `3`, `1e-3`, `0x2b`) into an exact rational.
/// Returns `None` if the text is not exactly one (optionally negated) number.
pub fn parse_number_text(text: &str) -> Option<Rational> {
    let t = text.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b.trim_start()),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let toks = lex(body).ok()?;
    match toks.as_slice() {
        [
            Token {
                tok: Tok::Num(v), ..
            },
            Token { tok: Tok::Eof, .. },
        ] => Some(if neg { -v } else { v.clone() }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(src)
            .expect("lexes")
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn tokens_and_spans() {
        let toks = lex("let x = 1.52; // c\n/* b */ y<=0x1F").expect("lexes");
        assert_eq!(toks[0].tok, Tok::Ident("let".into()));
        assert_eq!(toks[3].tok, Tok::Num(Rational::new(152.into(), 100.into())));
        assert_eq!(toks[3].span, 8..12);
        assert_eq!(toks[6].tok, Tok::Punct("<="));
        assert_eq!(toks[7].tok, Tok::Num(rational::int(31)));
    }

    #[test]
    fn range_is_not_a_decimal() {
        assert_eq!(
            kinds("0..4"),
            vec![
                Tok::Num(rational::int(0)),
                Tok::Punct(".."),
                Tok::Num(rational::int(4)),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn exponents_and_errors() {
        assert_eq!(
            kinds("1e-3")[0],
            Tok::Num(Rational::new(1.into(), 1000.into()))
        );
        assert!(lex("12abc").is_err());
        assert!(lex("0x").is_err());
        assert!(lex("0xZZ").is_err());
        assert!(lex("/* open").is_err());
        assert!(lex("a # b").is_err());
        assert!(lex("1e999999").is_err());
    }

    #[test]
    fn number_text() {
        assert_eq!(
            parse_number_text("-0.5"),
            Some(Rational::new((-1).into(), 2.into()))
        );
        assert_eq!(parse_number_text("0x10"), Some(rational::int(16)));
        assert_eq!(parse_number_text("1 2"), None);
        assert_eq!(parse_number_text("x"), None);
    }
}
