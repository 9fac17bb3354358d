//! Crops a grayscale PNG: `crop IN OUT X Y W H` (how `assets/camera256.png` was made).

use gcc_nn_model as model;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 7 {
        return Err("usage: crop IN OUT X Y W H".into());
    }
    let n: Vec<usize> = a[3..7]
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let img = model::GrayImage::load(&PathBuf::from(&a[1]))?;
    img.crop(n[0], n[1], n[2], n[3])?
        .save_png(&PathBuf::from(&a[2]))?;
    Ok(())
}
