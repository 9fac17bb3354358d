//! Support module: reading images the way every command does (a note on stderr when colour
//! or alpha was converted), the `--clean` reference, and output folders.

use super::CliError;
use model::GrayImage;
use std::path::Path;

/// Reads an image for a command; says on stderr when colour or alpha was converted.
pub(crate) fn load_image(path: &Path) -> Result<GrayImage, CliError> {
    let (img, source) = GrayImage::load_with_source(path)?;
    if let Some(note) = source.conversion_note() {
        eprintln!("note: {}: {note}", path.display());
    }
    Ok(img)
}

/// Reads the clean reference `path` of `--clean`; its size must be the image's.
pub(crate) fn load_reference(path: &Path, image: &GrayImage) -> Result<GrayImage, CliError> {
    let clean = load_image(path)?;
    if (clean.width(), clean.height()) != (image.width(), image.height()) {
        return Err(format!(
            "--clean {}: the reference is {}x{} but the image is {}x{}",
            path.display(),
            clean.width(),
            clean.height(),
            image.width(),
            image.height()
        )
        .into());
    }
    Ok(clean)
}

/// Creates the directory an output file goes into, if it has one.
pub(crate) fn ensure_parent(path: &Path) -> Result<(), CliError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(())
}
