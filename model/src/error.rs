//! The one error type of the model crate.

use std::path::PathBuf;

/// Everything that can go wrong while loading images or models, or denoising.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The image file is corrupt or truncated.
    #[error("{path}: cannot decode image: {message}")]
    ImageCodec {
        /// The file.
        path: PathBuf,
        /// What the codec said.
        message: String,
    },
    /// The image could not be encoded for writing.
    #[error("{path}: cannot encode image: {message}")]
    ImageEncode {
        /// The file.
        path: PathBuf,
        /// What the codec said.
        message: String,
    },
    /// The bytes are not an image in a supported format.
    #[error("{path}: {found}: supported image formats are PNG, JPEG, TIFF and PGM/PPM")]
    UnsupportedImageFormat {
        /// The file.
        path: PathBuf,
        /// What was found ("unrecognised data", "BMP image", …).
        found: String,
    },
    /// The decoded pixel type has no gray conversion.
    #[error(
        "{path}: unsupported pixel type {found} (supported: 8/16-bit gray or RGB, with or without alpha)"
    )]
    UnsupportedPixels {
        /// The file.
        path: PathBuf,
        /// The pixel type found.
        found: String,
    },
    /// A directory that should hold images holds none.
    #[error("{dir}: no image files (.png, .jpg, .jpeg, .tif, .tiff, .pgm, .ppm, .pnm)")]
    NoImages {
        /// The directory.
        dir: PathBuf,
    },
    /// An output path whose extension names no supported format.
    #[error(
        "{path}: cannot tell the output image format from the extension (use .png, .jpg/.jpeg, .tif/.tiff or .pgm)"
    )]
    UnsupportedOutputFormat {
        /// The file.
        path: PathBuf,
    },
    /// The image header declares a size above [`crate::limits::MAX_IMAGE_SIDE`] or
    /// [`crate::limits::MAX_IMAGE_PIXELS`]; nothing was decoded.
    #[error(
        "{path}: image width×height {width}x{height} exceeds the limit ({} per side, {} pixels)",
        crate::limits::MAX_IMAGE_SIDE,
        crate::limits::MAX_IMAGE_PIXELS
    )]
    ImageTooLarge {
        /// The file.
        path: PathBuf,
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The image is smaller than one input patch.
    #[error("image is {width}x{height}, smaller than the {needed}x{needed} input patch")]
    ImageTooSmall {
        /// Image width.
        width: usize,
        /// Image height.
        height: usize,
        /// Input patch side.
        needed: usize,
    },
    /// Two images that must have the same size do not.
    #[error("image sizes differ: {a_width}x{a_height} vs {b_width}x{b_height}")]
    SizeMismatch {
        /// First width.
        a_width: usize,
        /// First height.
        a_height: usize,
        /// Second width.
        b_width: usize,
        /// Second height.
        b_height: usize,
    },
    /// Pixel buffer length does not match the stated size.
    #[error("pixel buffer has {len} values, expected {width}x{height}")]
    BadPixelBuffer {
        /// Buffer length.
        len: usize,
        /// Width.
        width: usize,
        /// Height.
        height: usize,
    },
    /// A patch geometry that cannot work.
    #[error("invalid patch geometry: {0}")]
    BadGeometry(String),
    /// A model file that is corrupt, truncated or of another version.
    #[error("model file {what}: {message}")]
    BadModelFile {
        /// Which file (or "<bytes>").
        what: String,
        /// What is wrong.
        message: String,
    },
    /// A model whose shape does not fit the request (patch sizes, layer widths).
    #[error("model shape mismatch: {0}")]
    ShapeMismatch(String),
    /// A fixed-point value left the range the parameters allow.
    #[error("fixed-point overflow: {0}")]
    FixedOverflow(String),
    /// The activation could not be loaded, checked or evaluated (names the file or name).
    #[error(transparent)]
    Activation(#[from] activation::ActivationError),
    /// An activation name a model file cannot carry ([`crate::model_activation`]).
    #[error("activation name: {0}")]
    BadActivationName(String),
    /// An explicit activation whose source is not the one the model names.
    #[error(
        "the activation {given} disagrees with the model's activation {model}: leave the \
         activation out to run the model's own, or pass the DSL file with the model's source"
    )]
    ActivationMismatch {
        /// The model's activation (name and hash).
        model: String,
        /// The activation given (name, file and hash).
        given: String,
    },
    /// The model's activation cannot be found without the user's help.
    #[error("the model's activation {model} is not available: {reason}")]
    ActivationUnavailable {
        /// The model's activation (name and hash).
        model: String,
        /// Why, and what to do.
        reason: String,
    },
    /// Training (crate `gcc-nn-train`) failed inside candle, or the training data is unusable.
    #[error("training: {0}")]
    Training(String),
}

/// Result alias of the model crate.
pub type Result<T> = std::result::Result<T, ModelError>;
