//! `gcc-nn front`: the quality/cost front as an SVG plot (PSNR on the paper's five images,
//! secure-equivalent, against the predicted secure seconds per 512×512 image), from the
//! results file of the training search (`docs/front.csv`).
//!
//! The file is CSV with a header row; `#` lines are comments. Columns read: `name`,
//! `five_secure` (dB), `seconds_512` (predicted, `gcc-nn cost`) and `status` (`shipped …`
//! marks a shipped model, `paper` the paper's network at its reported PSNR); the others are
//! the run's record (configuration, seed, steps, the other PSNRs) and are not plotted.

use super::CliError;
use super::images::ensure_parent;
use clap::Subcommand;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The front-plot command.
#[derive(Subcommand)]
pub(crate) enum FrontCommand {
    /// Plot the quality/cost front (PSNR against predicted secure seconds per 512×512 image)
    /// from a results file as SVG.
    Front {
        /// Results file (CSV, e.g. docs/front.csv).
        csv: PathBuf,
        /// Output SVG file.
        #[arg(short, long, value_name = "SVG")]
        output: PathBuf,
        /// First recompute the columns seconds_256 and seconds_512 of CSV with the cost
        /// model (`gcc-nn cost`) from each row's hidden (widths joined by `-`), input_patch,
        /// output_patch, stride and secure_activation, and rewrite CSV; the measured PSNR
        /// columns are kept.
        #[arg(long)]
        predict: bool,
    },
}

/// One plotted point.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Point {
    name: String,
    psnr: f64,
    seconds: f64,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Shipped,
    Paper,
    Run,
}

/// Runs `gcc-nn front`.
pub(crate) fn run(cmd: FrontCommand) -> Result<(), CliError> {
    let FrontCommand::Front {
        csv,
        output,
        predict,
    } = cmd;
    if output.extension().and_then(|e| e.to_str()) != Some("svg") {
        return Err(format!("-o {}: the plot is SVG (name it .svg)", output.display()).into());
    }
    let mut text = std::fs::read_to_string(&csv).map_err(|e| format!("{}: {e}", csv.display()))?;
    if predict {
        // Every row priced (and the plot's columns read) before anything is written.
        text = predicted(&text, &csv)?;
        parse(&text, &csv)?;
        replace(&csv, &text)?;
        outln!("rewrote the predicted seconds of {}", csv.display());
    }
    let points = parse(&text, &csv)?;
    ensure_parent(&output)?;
    replace(&output, &plot(&points))?;
    outln!("wrote {} ({} points)", output.display(), points.len());
    Ok(())
}

/// Writes `text` to a temporary file renamed over `path`.
fn replace(path: &Path, text: &str) -> Result<(), CliError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

/// `text` (a results file) with its columns seconds_256 and seconds_512 recomputed by the
/// cost model ([`protocol::app::cost::cost_report`]) from each row's shape, stride and
/// activation; comments and every other field as they were.
fn predicted(text: &str, path: &Path) -> Result<String, CliError> {
    let mut out = String::new();
    let mut cols: Option<Vec<String>> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut f: Vec<String> = line.split(',').map(|v| v.trim().to_string()).collect();
        let Some(names) = &cols else {
            cols = Some(f);
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let at = |what: &str| -> Result<usize, CliError> {
            names.iter().position(|c| c == what).ok_or_else(|| {
                format!("{}: no column `{what}` in the header", path.display()).into()
            })
        };
        let bad = |what: &str, value: &str| -> CliError {
            format!(
                "{} line {}: {what} `{value}` is not usable",
                path.display(),
                i + 1
            )
            .into()
        };
        if f.len() != names.len() {
            return Err(format!(
                "{} line {}: {} fields, the header has {}",
                path.display(),
                i + 1,
                f.len(),
                names.len()
            )
            .into());
        }
        let num = |c: usize| f[c].parse::<usize>().map_err(|_| bad(&names[c], &f[c]));
        let (hidden, input, output, stride, act) = (
            at("hidden")?,
            at("input_patch")?,
            at("output_patch")?,
            at("stride")?,
            at("secure_activation")?,
        );
        let widths = f[hidden]
            .split('-')
            .map(|w| w.parse::<usize>().map_err(|_| bad("hidden", &f[hidden])))
            .collect::<Result<Vec<_>, _>>()?;
        let mlp = model::Mlp::zeros(num(input)?, &widths, num(output)?, num(stride)?)
            .map_err(|e| format!("{} line {}: {e}", path.display(), i + 1))?;
        let activation = super::parse_activation(&f[act])
            .map_err(|e| format!("{} line {}: {e}", path.display(), i + 1))?;
        let report = protocol::app::cost::cost_report(&mlp, &activation, None, &[256, 512])
            .map_err(|e| format!("{} line {}: {e}", path.display(), i + 1))?;
        for (column, image) in ["seconds_256", "seconds_512"].iter().zip(&report.images) {
            f[at(column)?] = format!("{:.1}", image.seconds_rlwe(&report.rates));
        }
        out.push_str(&f.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// Reads the points of a results file; errors name the file, line and column.
pub(crate) fn parse(text: &str, path: &Path) -> Result<Vec<Point>, CliError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let (_, header) = lines
        .next()
        .ok_or_else(|| format!("{}: no header row", path.display()))?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = |name: &str| {
        cols.iter()
            .position(|c| *c == name)
            .ok_or_else(|| format!("{}: no column `{name}` in the header", path.display()))
    };
    let (c_name, c_psnr, c_secs, c_status) = (
        col("name")?,
        col("five_secure")?,
        col("seconds_512")?,
        col("status")?,
    );
    let mut points = Vec::new();
    for (i, line) in lines {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != cols.len() {
            return Err(format!(
                "{} line {}: {} fields, the header has {}",
                path.display(),
                i + 1,
                f.len(),
                cols.len()
            )
            .into());
        }
        let num = |c: usize| -> Result<f64, CliError> {
            f[c].parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| {
                    format!(
                        "{} line {}: {} `{}` is not a positive number",
                        path.display(),
                        i + 1,
                        cols[c],
                        f[c]
                    )
                    .into()
                })
        };
        let status = f[c_status];
        points.push(Point {
            name: f[c_name].to_string(),
            psnr: num(c_psnr)?,
            seconds: num(c_secs)?,
            kind: if status.starts_with("shipped") {
                Kind::Shipped
            } else if status == "paper" {
                Kind::Paper
            } else {
                Kind::Run
            },
        });
    }
    if points.is_empty() {
        return Err(format!("{}: no rows to plot", path.display()).into());
    }
    Ok(points)
}

/// The points no other point beats in both PSNR and time, by increasing time.
fn pareto(points: &[Point]) -> Vec<&Point> {
    let mut sorted: Vec<&Point> = points.iter().collect();
    sorted.sort_by(|a, b| {
        a.seconds
            .total_cmp(&b.seconds)
            .then(b.psnr.total_cmp(&a.psnr))
    });
    let mut best = f64::NEG_INFINITY;
    sorted
        .into_iter()
        .filter(|p| {
            let keep = p.psnr > best;
            best = best.max(p.psnr);
            keep
        })
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG document: log-scale seconds, linear PSNR, the front as a line, the paper's
/// secure PSNR (30.15 dB) as a dashed line.
pub(crate) fn plot(points: &[Point]) -> String {
    const PAPER_DB: f64 = 30.15;
    let (w, h, left, right, top, bottom) = (760.0, 480.0, 70.0, 20.0, 40.0, 60.0);
    let lo_s = points
        .iter()
        .map(|p| p.seconds)
        .fold(f64::INFINITY, f64::min);
    let hi_s = points.iter().map(|p| p.seconds).fold(0.0, f64::max);
    let (x0, x1) = (
        lo_s.log10().floor(),
        hi_s.log10().ceil().max(lo_s.log10().floor() + 1.0),
    );
    let lo_db = points.iter().map(|p| p.psnr).fold(PAPER_DB, f64::min);
    let hi_db = points.iter().map(|p| p.psnr).fold(PAPER_DB, f64::max);
    let (y0, y1) = (
        (lo_db * 2.0 - 0.5).floor() / 2.0,
        (hi_db * 2.0 + 0.5).ceil() / 2.0,
    );
    let px = |s: f64| left + (s.log10() - x0) / (x1 - x0) * (w - left - right);
    let py = |db: f64| top + (y1 - db) / (y1 - y0) * (h - top - bottom);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="20" text-anchor="middle" font-size="14">PSNR on the paper's five images (σ = 25, secure-equivalent) vs predicted secure time per 512×512 image</text>"#,
        w / 2.0
    );
    // Grid and ticks: decades with 2 and 5 between, PSNR every 0.5 dB.
    let mut e = x0;
    while e <= x1 {
        for m in [1.0, 2.0, 5.0] {
            let s = m * 10f64.powf(e);
            if s.log10() > x1 + 1e-9 {
                break;
            }
            let x = px(s);
            let _ = writeln!(
                svg,
                r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                h - bottom,
                h - bottom + 16.0,
                seconds_label(s)
            );
        }
        e += 1.0;
    }
    let mut db = y0;
    while db <= y1 + 1e-9 {
        let y = py(db);
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{db:.1}</text>"##,
            w - right,
            left - 6.0,
            y + 4.0
        );
        db += 0.5;
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{left}" y="{top}" width="{:.1}" height="{:.1}" fill="none" stroke="#000"/>"##,
        w - left - right,
        h - top - bottom
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">predicted wall seconds per 512×512 image (fast-rlwe, 2-core Zen 4; log scale)</text>"#,
        (left + w - right) / 2.0,
        h - 18.0
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">PSNR (dB)</text>"#,
        (top + h - bottom) / 2.0
    );
    let yp = py(PAPER_DB);
    let _ = writeln!(
        svg,
        r##"<line x1="{left}" y1="{yp:.1}" x2="{:.1}" y2="{yp:.1}" stroke="#c00" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" fill="#c00">paper, secure: {PAPER_DB} dB</text>"##,
        w - right,
        left + 6.0,
        yp - 5.0
    );
    let front: Vec<String> = pareto(points)
        .iter()
        .map(|p| format!("{:.1},{:.1}", px(p.seconds), py(p.psnr)))
        .collect();
    let _ = writeln!(
        svg,
        r##"<polyline points="{}" fill="none" stroke="#06c" stroke-width="1.5"/>"##,
        front.join(" ")
    );
    for p in points {
        let (x, y) = (px(p.seconds), py(p.psnr));
        let mark = match p.kind {
            Kind::Shipped => format!(r##"<circle cx="{x:.1}" cy="{y:.1}" r="6" fill="#06c"/>"##),
            Kind::Paper => format!(
                r##"<rect x="{:.1}" y="{:.1}" width="10" height="10" fill="#c00"/>"##,
                x - 5.0,
                y - 5.0
            ),
            Kind::Run => format!(
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="5" fill="white" stroke="#06c" stroke-width="1.5"/>"##
            ),
        };
        let _ = writeln!(
            svg,
            r#"{mark}<text x="{:.1}" y="{:.1}">{} ({:.2} dB, {})</text>"#,
            x + 8.0,
            y - 6.0,
            escape(&p.name),
            p.psnr,
            seconds_label(p.seconds)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// `37 s`, `6.2 min`, `3.1 h`.
fn seconds_label(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "# comment\nname,five_secure,seconds_512,status\n\
                       a,29.18,190,shipped default\nb,29.30,400,\nc,29.10,500,\n\
                       paper,30.15,100000,paper\n";

    #[test]
    fn parses_rows_and_finds_the_front() {
        let pts = parse(CSV, Path::new("f.csv")).expect("parse");
        assert_eq!(pts.len(), 4);
        assert_eq!(pts[0].kind, Kind::Shipped);
        assert_eq!(pts[3].kind, Kind::Paper);
        let names: Vec<&str> = pareto(&pts).iter().map(|p| p.name.as_str()).collect();
        // c is slower and worse than b: off the front.
        assert_eq!(names, ["a", "b", "paper"]);
        let svg = plot(&pts);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("b (29.30 dB, 6.7 min)"), "{svg}");
    }

    #[test]
    fn bad_rows_are_errors_naming_the_line_and_column() {
        let e = parse(
            "name,five_secure,seconds_512,status\nx,abc,3,\n",
            Path::new("f.csv"),
        )
        .expect_err("not a number");
        assert!(
            e.to_string().contains("f.csv line 2: five_secure `abc`"),
            "{e}"
        );
        let e = parse("name,seconds_512,status\n", Path::new("f.csv")).expect_err("column");
        assert!(e.to_string().contains("no column `five_secure`"), "{e}");
        let e = parse(
            "name,five_secure,seconds_512,status\nx,1,2\n",
            Path::new("f.csv"),
        )
        .expect_err("short row");
        assert!(e.to_string().contains("line 2: 3 fields"), "{e}");
    }
}
