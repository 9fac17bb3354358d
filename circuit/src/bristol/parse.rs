//! Tokenising a Bristol file: lines, header fields and gate lines (before wires are resolved).

use super::BristolError;
use crate::limits;

/// One gate line as read, before wires are resolved.
#[derive(Debug, Clone)]
pub(super) enum RawOp {
    Xor(u64, u64, u64),
    And(u64, u64, u64),
    Inv(u64, u64),
    Eq(bool, u64),
    Eqw(u64, u64),
    Mand(Vec<(u64, u64, u64)>),
}

/// A tokenised non-empty line with its 1-based number.
pub(super) struct Line<'a> {
    pub(super) number: usize,
    pub(super) tokens: Vec<&'a str>,
}

pub(super) fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let tokens: Vec<&str> = l.split_ascii_whitespace().collect();
        (!tokens.is_empty()).then_some(Line {
            number: i + 1,
            tokens,
        })
    })
}

pub(super) fn number(line: usize, token: &str, what: &str) -> Result<u64, BristolError> {
    token.parse::<u64>().map_err(|_| BristolError::Syntax {
        line,
        message: format!("expected {what} (a non-negative integer), found `{token}`"),
    })
}

pub(super) fn syntax(line: usize, message: impl Into<String>) -> BristolError {
    BristolError::Syntax {
        line,
        message: message.into(),
    }
}

/// Parses `<count> <w_1> .. <w_count>` (a list of value widths).
pub(super) fn width_list(line: &Line<'_>, what: &str) -> Result<Vec<u64>, BristolError> {
    let count = number(
        line.number,
        line.tokens[0],
        &format!("number of {what} values"),
    )?;
    limits::check(
        if what == "input" {
            "input value count"
        } else {
            "output value count"
        },
        count,
        limits::MAX_IO_VALUES,
    )?;
    if (line.tokens.len() - 1) as u64 != count {
        return Err(syntax(
            line.number,
            format!(
                "declares {count} {what} values but lists {} widths",
                line.tokens.len() - 1
            ),
        ));
    }
    line.tokens[1..]
        .iter()
        .map(|t| number(line.number, t, &format!("{what} width")))
        .collect()
}

pub(super) fn parse_gate(line: &Line<'_>) -> Result<RawOp, BristolError> {
    let n = line.number;
    let t = &line.tokens;
    if t.len() < 3 {
        return Err(syntax(
            n,
            format!(
                "expected a gate `<#in> <#out> <wires..> <OP>`, found `{}`",
                t.join(" ")
            ),
        ));
    }
    let n_in = number(n, t[0], "gate input count")?;
    let n_out = number(n, t[1], "gate output count")?;
    let op = t[t.len() - 1];
    let expected_len = n_in.saturating_add(n_out).saturating_add(3);
    if t.len() as u64 != expected_len {
        return Err(syntax(
            n,
            format!(
                "gate declares {n_in} inputs and {n_out} outputs but lists {} wires",
                t.len() - 3
            ),
        ));
    }
    let args: Vec<u64> = t[2..t.len() - 1]
        .iter()
        .map(|w| number(n, w, "wire number"))
        .collect::<Result<_, BristolError>>()?;
    let arity = |i: u64, o: u64| -> Result<(), BristolError> {
        if (n_in, n_out) == (i, o) {
            Ok(())
        } else {
            Err(syntax(
                n,
                format!("{op} takes {i} inputs and {o} outputs, found {n_in} and {n_out}"),
            ))
        }
    };
    match op {
        "XOR" => arity(2, 1).map(|()| RawOp::Xor(args[0], args[1], args[2])),
        "AND" => arity(2, 1).map(|()| RawOp::And(args[0], args[1], args[2])),
        "INV" | "NOT" => arity(1, 1).map(|()| RawOp::Inv(args[0], args[1])),
        "EQW" => arity(1, 1).map(|()| RawOp::Eqw(args[0], args[1])),
        "EQ" => {
            arity(1, 1)?;
            match args[0] {
                0 | 1 => Ok(RawOp::Eq(args[0] == 1, args[1])),
                v => Err(syntax(n, format!("EQ takes a constant 0 or 1, found {v}"))),
            }
        }
        "MAND" => {
            if n_out == 0 || n_in != 2 * n_out {
                return Err(syntax(
                    n,
                    format!("MAND takes 2k inputs and k outputs, found {n_in} and {n_out}"),
                ));
            }
            let k = n_out as usize;
            Ok(RawOp::Mand(
                (0..k)
                    .map(|i| (args[i], args[k + i], args[2 * k + i]))
                    .collect(),
            ))
        }
        other => Err(syntax(
            n,
            format!("unknown operation `{other}` (expected XOR, AND, INV, EQ, EQW or MAND)"),
        )),
    }
}

/// Reads line 1 (`ngates nwires`).
pub(super) fn header_counts(line: Option<Line<'_>>) -> Result<(u64, u64), BristolError> {
    let line = line.ok_or(BristolError::TruncatedHeader {
        expected: "`<ngates> <nwires>` on line 1",
    })?;
    if line.tokens.len() != 2 {
        return Err(syntax(
            line.number,
            format!(
                "expected `<ngates> <nwires>`, found `{}`",
                line.tokens.join(" ")
            ),
        ));
    }
    let gates = number(line.number, line.tokens[0], "gate count")?;
    let wires = number(line.number, line.tokens[1], "wire count")?;
    limits::check("gate count", gates, limits::MAX_GATES)?;
    limits::check("wire count", wires, limits::MAX_WIRES)?;
    Ok((gates, wires))
}

pub(super) fn read_gates<'a>(
    rest: impl Iterator<Item = Line<'a>>,
    declared: u64,
) -> Result<Vec<(usize, RawOp)>, BristolError> {
    let mut gates = Vec::new();
    for line in rest {
        if gates.len() as u64 >= declared {
            return Err(BristolError::GateCount {
                declared,
                found: gates.len() as u64 + 1,
            });
        }
        gates.push((line.number, parse_gate(&line)?));
    }
    if (gates.len() as u64) != declared {
        return Err(BristolError::GateCount {
            declared,
            found: gates.len() as u64,
        });
    }
    Ok(gates)
}

pub(super) fn check_widths(widths: &[u64]) -> Result<(), BristolError> {
    for &w in widths {
        limits::check("value width", w, limits::MAX_VALUE_WIDTH)?;
    }
    Ok(())
}
