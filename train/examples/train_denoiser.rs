//! Trains the denoiser on a directory of images: `train_denoiser DIR OUT STEPS [HIDDEN...]`.

use gcc_nn_train as train;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(args.get(1).ok_or("usage: DIR OUT STEPS")?);
    let out = PathBuf::from(args.get(2).ok_or("usage: DIR OUT STEPS")?);
    let mut cfg = train::TrainConfig::default();
    if let Some(s) = args.get(3) {
        cfg.steps = s.parse()?;
    }
    if let Some(lr) = args.get(4) {
        cfg.learning_rate = lr.parse()?;
    }
    if let Some(init) = args.get(5) {
        cfg.init = Some(model::Mlp::load(&PathBuf::from(init))?);
        cfg.seed = args.get(6).map_or(Ok(2), |s| s.parse())?;
    }
    let images = model::GrayImage::load_dir(&dir)?;
    let t = std::time::Instant::now();
    cfg.progress = std::env::var_os("NO_PROGRESS").is_none();
    let m = train::train(&images, &cfg)?;
    m.save(&out)?;
    println!(
        "trained in {:.1} s, {} parameters",
        t.elapsed().as_secs_f64(),
        m.parameter_count()
    );
    Ok(())
}
