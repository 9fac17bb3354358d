//! Diagnostics: errors located in the source, rendered with the offending line and a caret.

use std::fmt;
use std::ops::Range;

/// A byte range `start..end` in the source text.
pub type Span = Range<usize>;

/// One error: what went wrong, where, and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The headline, e.g. "expected `;` after the statement".
    pub message: String,
    /// Where, as a byte range of the source; `None` for errors about the command line.
    pub span: Option<Span>,
    /// Short text shown under the caret.
    pub label: String,
    /// Optional advice.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span` with a headline and a caret label.
    pub fn new(span: Span, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span: Some(span),
            label: label.into(),
            help: None,
        }
    }

    /// An error that has no place in the source (e.g. a bad `-D` override).
    pub fn unlocated(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span: None,
            label: String::new(),
            help: None,
        }
    }

    /// Adds advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// The errors of one source file; [`Diagnostics::render`] formats them for a terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics {
    /// File name shown in messages.
    pub file: String,
    /// The source text the spans point into.
    pub source: String,
    /// The errors, in the order found (at least one).
    pub errors: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Errors for `file` whose spans index `source`.
    pub fn new(file: &str, source: &str, errors: Vec<Diagnostic>) -> Diagnostics {
        Diagnostics {
            file: file.to_string(),
            source: source.to_string(),
            errors,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.source, offset)
    }

    /// `file:line:col` of each error (`file` alone for unlocated ones).
    pub fn locations(&self) -> Vec<String> {
        self.errors
            .iter()
            .map(|d| match &d.span {
                Some(s) => {
                    let (l, c) = self.line_col(s.start);
                    format!("{}:{}:{}", self.file, l, c)
                }
                None => self.file.clone(),
            })
            .collect()
    }

    /// Plain-text rendering (no colours): for each error a `file:line:col: error: message`
    /// headline, then the source line with a caret under the span and the label.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let locs = self.locations();
        for (d, loc) in self.errors.iter().zip(locs) {
            out.push_str(&format!("{loc}: error: {}\n", d.message));
            match &d.span {
                Some(span) => out.push_str(&self.snippet(d, span)),
                None => {
                    if let Some(h) = &d.help {
                        out.push_str(&format!("  help: {h}\n"));
                    }
                }
            }
        }
        out
    }

    /// The source line of the span with carets under it (to the end of the line for a
    /// span that covers several lines), then the label and any help.
    fn snippet(&self, d: &Diagnostic, span: &Span) -> String {
        let len = self.source.len();
        let start = floor_char_boundary(&self.source, span.start.min(len));
        let end = floor_char_boundary(&self.source, span.end.clamp(start, len));
        let (line, _) = self.line_col(start);
        let line_start = self.source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.source[start..].find('\n').map_or(len, |i| start + i);
        let text = self.source[line_start..line_end].trim_end_matches('\r');
        // Keep tabs so the caret lines up under the same columns.
        let pad: String = self.source[line_start..start]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let width = self.source[start..end.min(line_end).max(start)]
            .chars()
            .count()
            .max(1);
        let gutter = line.to_string().len();
        let blank = " ".repeat(gutter);
        let mut out = format!(
            "{blank} |\n{line} | {text}\n{blank} | {pad}{} {}\n",
            "^".repeat(width),
            d.label
        );
        if let Some(h) = &d.help {
            out.push_str(&format!("{blank} = help: {h}\n"));
        }
        out
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}

/// 1-based line and column (in characters) of a byte offset of `source`.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
