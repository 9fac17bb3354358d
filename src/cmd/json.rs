//! Support module: the JSON form of results several commands print with `--json` (one
//! object per run on stdout; the fields are listed in docs/cli.md).

use protocol::app::summary::Summary;

/// Seconds as a JSON number.
pub(crate) fn secs(d: std::time::Duration) -> serde_json::Value {
    d.as_secs_f64().into()
}

/// The figures of a secure run: `seconds`, `handshake_seconds`, `patches`, `layers`,
/// `phases` (`[{name, seconds}]`, phases that took time), `notes`, `cpu_seconds` (`user`,
/// `cloud`: null when unknown) and `bytes` (`sent`, `received`, from the user's side).
pub(crate) fn summary(s: &Summary<'_>) -> serde_json::Value {
    let phases: Vec<serde_json::Value> = s
        .timed_phases()
        .map(|(name, d)| serde_json::json!({ "name": name, "seconds": secs(d) }))
        .collect();
    let notes: Vec<&str> = s.notes().collect();
    serde_json::json!({
        "seconds": secs(s.total),
        "handshake_seconds": secs(s.handshake),
        "patches": s.patches,
        "layers": s.layers,
        "phases": phases,
        "notes": notes,
        "cpu_seconds": {
            "user": s.user_cpu.map(secs),
            "cloud": s.cloud_cpu.map(secs),
        },
        "bytes": {
            "sent": s.stats.bytes_sent,
            "received": s.stats.bytes_received,
        },
    })
}
