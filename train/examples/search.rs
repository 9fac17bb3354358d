//! One run of the training search, resumable: `search CONFIG.json DATA_DIR OUT_DIR
//! [STOP_AFTER]` trains CONFIG into `OUT_DIR/NAME.gccmlp` (NAME: the config's file stem) with
//! its checkpoint `OUT_DIR/NAME.ckpt`, continuing that checkpoint if it exists, and stops
//! after step STOP_AFTER if given (the weights so far go to `OUT_DIR/NAME.partial.gccmlp`).
//! The same as `gcc-nn train --config … --resume --stop-after …`, without the CLI's build.

use gcc_nn_train::{Checkpoint, TrainConfig, TrainSpec, train};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: search CONFIG.json DATA_DIR OUT_DIR [STOP_AFTER]";
    let config = PathBuf::from(args.get(1).ok_or(usage)?);
    let data = PathBuf::from(args.get(2).ok_or(usage)?);
    let out = PathBuf::from(args.get(3).ok_or(usage)?);
    let stop_after = args.get(4).map(|s| s.parse::<usize>()).transpose()?;
    let name = config
        .file_stem()
        .ok_or(usage)?
        .to_string_lossy()
        .into_owned();
    std::fs::create_dir_all(&out)?;
    let spec = TrainSpec::load(&config)?;
    let ckpt = out.join(format!("{name}.ckpt"));
    let resume = if ckpt.exists() {
        let ck = Checkpoint::load(&ckpt)?;
        eprintln!("{name}: resuming at step {} of {}", ck.step, ck.spec.steps);
        Some(ck)
    } else {
        None
    };
    let images = model::GrayImage::load_dir(&data)?;
    let cfg = TrainConfig {
        spec,
        progress: std::env::var_os("NO_PROGRESS").is_none(),
        init: None,
        checkpoint: Some(ckpt),
        resume,
        stop_after,
    };
    let t = std::time::Instant::now();
    let m = train(&images, &cfg)?;
    let finished = stop_after.is_none_or(|s| s >= cfg.spec.steps);
    let path = out.join(if finished {
        format!("{name}.gccmlp")
    } else {
        format!("{name}.partial.gccmlp")
    });
    m.save(&path)?;
    println!(
        "{name}: wrote {} ({} parameters) in {:.0} s",
        path.display(),
        m.parameter_count(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
