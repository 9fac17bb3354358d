//! Support module: where commands put output the user did not name (`runs/KIND-DATE/`), and
//! the guard that keeps a model file from being replaced by accident.

use super::CliError;
use std::path::{Path, PathBuf};

/// Refuses to replace an existing file without `--force`, and the shipped model always.
pub(crate) fn check_model_output(path: &Path, force: bool) -> Result<(), CliError> {
    let Ok(existing) = std::fs::read(path) else {
        return Ok(());
    };
    if existing == model::shipped::MODEL_BYTES {
        return Err(format!(
            "-o {}: that is the shipped model; write elsewhere and copy it over if you mean it",
            path.display()
        )
        .into());
    }
    if !force {
        return Err(format!("-o {}: exists (pass --force to replace it)", path.display()).into());
    }
    Ok(())
}

/// A new folder `runs/KIND-YYYYMMDD-HHMMSS` (UTC; `-2`, `-3`, … if taken) for output the
/// user did not name; announced on stderr.
pub(crate) fn fresh_run_dir(kind: &str) -> Result<PathBuf, CliError> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let t = secs % 86_400;
    let stamp = format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        t / 3600,
        t / 60 % 60,
        t % 60
    );
    let root = Path::new("runs");
    std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
    for n in 1..1000 {
        let name = if n == 1 {
            format!("{kind}-{stamp}")
        } else {
            format!("{kind}-{stamp}-{n}")
        };
        let dir = root.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                eprintln!("writing to the new folder {}", dir.display());
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("{}: {e}", dir.display()).into()),
        }
    }
    Err(format!(
        "{}: no free run folder name for {kind}-{stamp}",
        root.display()
    )
    .into())
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}
