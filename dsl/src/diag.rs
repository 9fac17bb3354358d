//! Diagnostics: errors located in the source, rendered by `ariadne` under a
//! `file:line:col: error: message` headline (the form editors and `grep` understand).

use ariadne::{CharSet, Color, Config, Fmt, IndexType, Label, Report, ReportKind, Source};
use std::fmt;
use std::io::IsTerminal;
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
    /// Short text shown under the span.
    pub label: String,
    /// Further places that explain the error (e.g. "first defined here"), each with its label.
    pub secondary: Vec<(Span, String)>,
    /// Optional advice.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span` with a headline and a label under the span.
    pub fn new(span: Span, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span: Some(span),
            label: label.into(),
            secondary: Vec::new(),
            help: None,
        }
    }

    /// An error that has no place in the source (e.g. a bad `-D` override).
    pub fn unlocated(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span: None,
            label: String::new(),
            secondary: Vec::new(),
            help: None,
        }
    }

    /// Adds advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary place with its own label (shown with the main one).
    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push((span, label.into()));
        self
    }
}

/// How [`Diagnostics::render_with`] draws: colours and box-drawing characters, or plain ASCII.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// No colour, ASCII only: logs, files, tests, pipes.
    Plain,
    /// ANSI colours and Unicode box drawing, for a terminal.
    Terminal,
}

impl Style {
    /// [`Style::Terminal`] when standard error is a terminal and `NO_COLOR` is unset,
    /// else [`Style::Plain`].
    pub fn for_stderr() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if std::io::stderr().is_terminal() && !no_color {
            Style::Terminal
        } else {
            Style::Plain
        }
    }
}

/// The errors of one source file; [`Diagnostics::render`] formats them.
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
        self.errors.iter().map(|d| self.location(d)).collect()
    }

    fn location(&self, d: &Diagnostic) -> String {
        match &d.span {
            Some(s) => {
                let (l, c) = self.line_col(s.start);
                format!("{}:{}:{}", self.file, l, c)
            }
            None => self.file.clone(),
        }
    }

    /// Plain rendering (no colour, ASCII): see [`Diagnostics::render_with`].
    pub fn render(&self) -> String {
        self.render_with(Style::Plain)
    }

    /// For each error a `file:line:col: error: message` headline, then (for located errors)
    /// the source line(s) with the span underlined and labelled, secondary places, and help.
    pub fn render_with(&self, style: Style) -> String {
        let mut out = String::new();
        for d in &self.errors {
            let headline = format!("{}: error:", self.location(d));
            match style {
                Style::Plain => out.push_str(&headline),
                Style::Terminal => out.push_str(&headline.fg(Color::Red).to_string()),
            }
            out.push(' ');
            out.push_str(&d.message);
            out.push('\n');
            match &d.span {
                Some(span) => out.push_str(&self.snippet(d, span, style)),
                None => {
                    if let Some(h) = &d.help {
                        out.push_str(&format!("  help: {h}\n"));
                    }
                }
            }
        }
        out
    }

    /// ariadne's drawing of the source around the spans (its own headline line dropped:
    /// ours above carries the location).
    fn snippet(&self, d: &Diagnostic, span: &Span, style: Style) -> String {
        let main = self.clamp(span);
        let config = Config::default()
            .with_index_type(IndexType::Byte)
            .with_color(style == Style::Terminal)
            .with_char_set(match style {
                Style::Plain => CharSet::Ascii,
                Style::Terminal => CharSet::Unicode,
            });
        let id = self.file.as_str();
        // ariadne starts a new section when a label lies above the previous one: give it the
        // labels in source order so that one section shows them all.
        let mut labels = vec![(main.clone(), d.label.as_str(), Color::Red)];
        for (s, label) in &d.secondary {
            labels.push((self.clamp(s), label.as_str(), Color::Blue));
        }
        labels.sort_by_key(|(s, _, _)| s.start);
        let mut report = Report::build(ReportKind::Error, (id, main)).with_config(config);
        for (s, label, color) in labels {
            let l = Label::new((id, s)).with_color(color);
            report.add_label(if label.is_empty() {
                l
            } else {
                l.with_message(label)
            });
        }
        if let Some(h) = &d.help {
            report.set_help(h);
        }
        let mut buf = Vec::new();
        let written = report
            .finish()
            .write((id, Source::from(self.source.as_str())), &mut buf);
        let text = String::from_utf8_lossy(&buf);
        match (written, text.split_once('\n')) {
            (Ok(()), Some((_, body))) => body.to_string(),
            // Writing into memory does not fail; keep the error readable if it ever did.
            _ => String::new(),
        }
    }

    /// The span moved onto character boundaries inside the source, so that rendering never
    /// indexes past the text or into a character.
    fn clamp(&self, span: &Span) -> Span {
        let len = self.source.len();
        let start = floor_char_boundary(&self.source, span.start.min(len));
        let end = floor_char_boundary(&self.source, span.end.clamp(start, len));
        start..end
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}

/// 1-based line and column (in characters) of a byte offset of `source`. Lines end where
/// ariadne ends them (LF, CRLF, CR, VT, FF, NEL, LS, PS), so that the headline and the drawn
/// snippet agree.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let (mut line, mut col) = (1, 1);
    let mut chars = source[..offset].chars().peekable();
    while let Some(c) = chars.next() {
        let crlf = c == '\r' && chars.peek() == Some(&'\n');
        if crlf
            || !matches!(
                c,
                '\r' | '\n' | '\x0B' | '\x0C' | '\u{85}' | '\u{2028}' | '\u{2029}'
            )
        {
            col += 1;
        } else {
            line += 1;
            col = 1;
        }
    }
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_and_every_line_break() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab\r\ncd", 5), (2, 2));
        assert_eq!(line_col("ab\rcd", 4), (2, 2));
        assert_eq!(line_col("a\u{2028}b", 4), (2, 1));
        assert_eq!(line_col("漢字x", 6), (1, 3));
        // Inside a character: the character's own column; past the end: the end.
        assert_eq!(line_col("漢字x", 4), (1, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn spans_outside_the_source_render_without_panicking() {
        let d = Diagnostics::new(
            "x.dsl",
            "ab\r\n漢d",
            vec![
                Diagnostic::new(0..100, "m", "l")
                    .with_secondary(5..6, "inside a character")
                    .with_secondary(Span { start: 99, end: 2 }, "reversed"),
            ],
        );
        let text = d.render();
        assert!(text.starts_with("x.dsl:1:1: error: m\n"), "{text}");
        assert!(text.contains("inside a character"), "{text}");
    }
}
