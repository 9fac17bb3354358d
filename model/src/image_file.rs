//! Image files in and out: PNG, JPEG, TIFF and PGM/PPM (netpbm), 8- or 16-bit (or 32-bit
//! float TIFF), gray or colour, with or without alpha.
//!
//! Reading: the format is recognised from the bytes (not the name). The size in the header
//! is checked against [`MAX_IMAGE_SIDE`] and [`MAX_IMAGE_PIXELS`] before any pixel is
//! decoded, and the codec may allocate at most [`MAX_DECODE_ALLOC`] bytes. Every sample
//! type is mapped to the [0, 255] scale without rounding (16-bit: v / 257, float: v · 255).
//! Colour pixels become their **BT.601 luma** `Y = 0.299 R + 0.587 G + 0.114 B` (the
//! weights of MATLAB's `rgb2gray`, used by the denoising literature); an alpha channel is
//! dropped (the colour values are used as they are, not composited). [`ImageSource`] says
//! what was converted so that a front end can tell the user.
//!
//! Writing: [`FileFormat::from_output_path`] picks the format from the extension (`.png`,
//! `.jpg`/`.jpeg`, `.tif`/`.tiff`, `.pgm`/`.pnm`; any other is an error before anything is
//! written). Pixels are rounded and clamped to 8-bit gray; JPEG at quality
//! [`JPEG_QUALITY`]. The file is encoded in memory, written to a temporary file beside the
//! target and renamed over it, so a failed write leaves no half-written image.

use crate::error::{ModelError, Result};
use crate::gray::GrayImage;
use image::{DynamicImage, ExtendedColorType, ImageEncoder, ImageFormat};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The decoder's size limits (declared in [`crate::limits`], below the error type).
pub use crate::limits::{MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE};
/// Most bytes the image codec may allocate while decoding.
pub const MAX_DECODE_ALLOC: u64 = 1 << 28;
/// JPEG quality (1–100) of written JPEG files.
pub const JPEG_QUALITY: u8 = 95;

/// BT.601 luma weights of red, green and blue.
pub const BT601_LUMA: [f64; 3] = [0.299, 0.587, 0.114];

/// The image file formats read and written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// Portable Network Graphics.
    Png,
    /// JPEG (baseline and progressive; lossy when written).
    Jpeg,
    /// TIFF (uncompressed, LZW, Deflate or PackBits when read).
    Tiff,
    /// Netpbm: PGM (gray) or PPM (colour) when read, binary PGM when written.
    Pnm,
}

impl FileFormat {
    /// The format an output path asks for, from its extension (case-insensitive); an
    /// unknown or missing extension is [`ModelError::UnsupportedOutputFormat`].
    pub fn from_output_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("png") => Ok(Self::Png),
            Some("jpg" | "jpeg") => Ok(Self::Jpeg),
            Some("tif" | "tiff") => Ok(Self::Tiff),
            Some("pgm" | "pnm") => Ok(Self::Pnm),
            _ => Err(ModelError::UnsupportedOutputFormat {
                path: path.to_path_buf(),
            }),
        }
    }

    fn from_codec(f: ImageFormat) -> Option<Self> {
        match f {
            ImageFormat::Png => Some(Self::Png),
            ImageFormat::Jpeg => Some(Self::Jpeg),
            ImageFormat::Tiff => Some(Self::Tiff),
            ImageFormat::Pnm => Some(Self::Pnm),
            _ => None,
        }
    }
}

impl std::fmt::Display for FileFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
            Self::Tiff => "TIFF",
            Self::Pnm => "PGM/PPM",
        })
    }
}

/// What a decoded file held before it became a gray plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageSource {
    /// The file format found in the bytes.
    pub format: FileFormat,
    /// Bits per sample: 8, 16 or 32 (float).
    pub bits: u8,
    /// Red, green and blue were combined into BT.601 luma.
    pub colour: bool,
    /// An alpha channel was dropped.
    pub alpha: bool,
}

impl ImageSource {
    /// A one-line note for the user when the pixels were converted (colour to luma, alpha
    /// dropped); `None` for a plain gray image.
    pub fn conversion_note(&self) -> Option<String> {
        let what = match (self.colour, self.alpha) {
            (false, false) => return None,
            (true, false) => "colour converted to gray (BT.601 luma 0.299 R + 0.587 G + 0.114 B)",
            (true, true) => {
                "colour converted to gray (BT.601 luma 0.299 R + 0.587 G + 0.114 B), alpha ignored"
            }
            (false, true) => "alpha channel ignored",
        };
        Some(format!("{}-bit {} image: {what}", self.bits, self.format))
    }
}

/// The plane of `raw` (interleaved samples, `channels` per pixel): BT.601 luma of the first
/// three when `colour`, else the first; times `scale`.
fn plane<T: Copy + Into<f64>>(raw: &[T], channels: usize, colour: bool, scale: f64) -> Vec<f64> {
    raw.chunks_exact(channels)
        .map(|p| {
            let v = if colour {
                BT601_LUMA[0] * p[0].into()
                    + BT601_LUMA[1] * p[1].into()
                    + BT601_LUMA[2] * p[2].into()
            } else {
                p[0].into()
            };
            v * scale
        })
        .collect()
}

/// The user-facing name of an in-memory pixel type.
fn colour_name(c: image::ColorType) -> String {
    let (kind, bits) = match c {
        image::ColorType::L8 => ("gray", 8),
        image::ColorType::La8 => ("gray+alpha", 8),
        image::ColorType::Rgb8 => ("RGB", 8),
        image::ColorType::Rgba8 => ("RGBA", 8),
        image::ColorType::L16 => ("gray", 16),
        image::ColorType::La16 => ("gray+alpha", 16),
        image::ColorType::Rgb16 => ("RGB", 16),
        image::ColorType::Rgba16 => ("RGBA", 16),
        image::ColorType::Rgb32F => ("RGB float", 32),
        image::ColorType::Rgba32F => ("RGBA float", 32),
        _ => ("unknown", 0),
    };
    format!("{bits}-bit {kind}")
}

/// Extensions [`image_files_in`] picks up (case-insensitive).
pub const IMAGE_EXTENSIONS: [&str; 8] = ["png", "jpg", "jpeg", "tif", "tiff", "pgm", "ppm", "pnm"];

/// The image files directly in `dir` (by extension, [`IMAGE_EXTENSIONS`]), sorted by name;
/// a missing directory, or one without images, is an error naming it.
pub fn image_files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|source| ModelError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|x| {
                    let x = x.to_string_lossy().to_ascii_lowercase();
                    IMAGE_EXTENSIONS.contains(&x.as_str())
                })
        })
        .collect();
    if files.is_empty() {
        return Err(ModelError::NoImages {
            dir: dir.to_path_buf(),
        });
    }
    files.sort();
    Ok(files)
}

impl GrayImage {
    /// Loads every image in `dir` ([`image_files_in`]: sorted by name; colour is converted
    /// to luma); no images is an error naming the directory.
    pub fn load_dir(dir: &Path) -> Result<Vec<Self>> {
        image_files_in(dir)?.iter().map(|p| Self::load(p)).collect()
    }

    /// Reads an image file (see the module documentation for formats and conversions).
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with_source(path).map(|(img, _)| img)
    }

    /// Reads an image file and says what it held (format, depth, colour, alpha).
    pub fn load_with_source(path: &Path) -> Result<(Self, ImageSource)> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::decode_with_source(&bytes, path)
    }

    /// Decodes an image from bytes; `path` is only used in errors.
    pub fn decode(bytes: &[u8], path: &Path) -> Result<Self> {
        Self::decode_with_source(bytes, path).map(|(img, _)| img)
    }

    /// Decodes an image from bytes and says what it held; `path` is only used in errors.
    ///
    /// The size in the header is checked against [`MAX_IMAGE_SIDE`] and
    /// [`MAX_IMAGE_PIXELS`] before any pixel is decoded.
    pub fn decode_with_source(bytes: &[u8], path: &Path) -> Result<(Self, ImageSource)> {
        let codec = |e: image::ImageError| ModelError::ImageCodec {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let reader = || {
            image::ImageReader::new(std::io::Cursor::new(bytes))
                .with_guessed_format()
                .map_err(|e| codec(e.into()))
        };
        let guessed = reader()?.format();
        let Some(format) = guessed.and_then(FileFormat::from_codec) else {
            return Err(ModelError::UnsupportedImageFormat {
                path: path.to_path_buf(),
                found: guessed.map_or_else(
                    || "unrecognised data".to_string(),
                    |f| {
                        let ext = f.extensions_str().first().copied().unwrap_or("other");
                        format!("{} image", ext.to_uppercase())
                    },
                ),
            });
        };
        let (width, height) = reader()?.into_dimensions().map_err(codec)?;
        if width > MAX_IMAGE_SIDE
            || height > MAX_IMAGE_SIDE
            || u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS
        {
            return Err(ModelError::ImageTooLarge {
                path: path.to_path_buf(),
                width,
                height,
            });
        }
        if format == FileFormat::Jpeg {
            return decode_jpeg_strict(bytes, path);
        }
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_IMAGE_SIDE);
        limits.max_image_height = Some(MAX_IMAGE_SIDE);
        limits.max_alloc = Some(MAX_DECODE_ALLOC);
        let mut reader = reader()?;
        reader.limits(limits);
        let img = reader.decode().map_err(codec)?;
        let (w, h) = (img.width() as usize, img.height() as usize);
        let found = img.color();
        let source = |bits: u8, colour: bool, alpha: bool| ImageSource {
            format,
            bits,
            colour,
            alpha,
        };
        let s16 = 255.0 / 65535.0;
        let (pixels, src) = match img {
            DynamicImage::ImageLuma8(b) => {
                (plane(&b.into_raw(), 1, false, 1.0), source(8, false, false))
            }
            DynamicImage::ImageLumaA8(b) => {
                (plane(&b.into_raw(), 2, false, 1.0), source(8, false, true))
            }
            DynamicImage::ImageRgb8(b) => {
                (plane(&b.into_raw(), 3, true, 1.0), source(8, true, false))
            }
            DynamicImage::ImageRgba8(b) => {
                (plane(&b.into_raw(), 4, true, 1.0), source(8, true, true))
            }
            DynamicImage::ImageLuma16(b) => (
                plane(&b.into_raw(), 1, false, s16),
                source(16, false, false),
            ),
            DynamicImage::ImageLumaA16(b) => {
                (plane(&b.into_raw(), 2, false, s16), source(16, false, true))
            }
            DynamicImage::ImageRgb16(b) => {
                (plane(&b.into_raw(), 3, true, s16), source(16, true, false))
            }
            DynamicImage::ImageRgba16(b) => {
                (plane(&b.into_raw(), 4, true, s16), source(16, true, true))
            }
            DynamicImage::ImageRgb32F(b) => (
                plane(&b.into_raw(), 3, true, 255.0),
                source(32, true, false),
            ),
            DynamicImage::ImageRgba32F(b) => {
                (plane(&b.into_raw(), 4, true, 255.0), source(32, true, true))
            }
            _ => {
                return Err(ModelError::UnsupportedPixels {
                    path: path.to_path_buf(),
                    found: colour_name(found),
                });
            }
        };
        Ok((Self::new(w, h, pixels)?, src))
    }

    /// Writes the image in the format its extension names ([`FileFormat::from_output_path`]),
    /// as 8-bit gray; returns the format written.
    pub fn save(&self, path: &Path) -> Result<FileFormat> {
        let format = FileFormat::from_output_path(path)?;
        self.save_as(path, format)?;
        Ok(format)
    }

    /// Writes the image as an 8-bit grayscale PNG whatever the extension.
    pub fn save_png(&self, path: &Path) -> Result<()> {
        self.save_as(path, FileFormat::Png)
    }

    /// Writes the image as 8-bit gray in `format` whatever the extension.
    pub fn save_as(&self, path: &Path, format: FileFormat) -> Result<()> {
        let bytes = self.encode(format).map_err(|e| ModelError::ImageEncode {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        write_replacing(path, &bytes)
    }

    /// The image encoded as 8-bit gray in `format`.
    pub fn encode(&self, format: FileFormat) -> image::ImageResult<Vec<u8>> {
        let px = self.to_u8();
        let (w, h) = (self.width() as u32, self.height() as u32);
        let mut out = std::io::Cursor::new(Vec::new());
        let l8 = ExtendedColorType::L8;
        match format {
            FileFormat::Png => {
                image::codecs::png::PngEncoder::new(&mut out).write_image(&px, w, h, l8)?
            }
            FileFormat::Jpeg => {
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
                    .write_image(&px, w, h, l8)?
            }
            FileFormat::Tiff => {
                image::codecs::tiff::TiffEncoder::new(&mut out).write_image(&px, w, h, l8)?
            }
            FileFormat::Pnm => {
                use image::codecs::pnm::{PnmEncoder, PnmSubtype, SampleEncoding};
                PnmEncoder::new(&mut out)
                    .with_subtype(PnmSubtype::Graymap(SampleEncoding::Binary))
                    .write_image(&px, w, h, l8)?
            }
        }
        Ok(out.into_inner())
    }
}

/// Decodes a JPEG with zune-jpeg in strict mode: a truncated or corrupt stream is an
/// error (the `image` crate's lenient mode would fill the missing part with gray).
fn decode_jpeg_strict(bytes: &[u8], path: &Path) -> Result<(GrayImage, ImageSource)> {
    use zune_core::colorspace::ColorSpace;
    let codec = |e: zune_jpeg::errors::DecodeErrors| ModelError::ImageCodec {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let side = MAX_IMAGE_SIDE as usize;
    let options = zune_core::options::DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(side)
        .set_max_height(side);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        zune_core::bytestream::ZCursor::new(bytes),
        options,
    );
    decoder.decode_headers().map_err(codec)?;
    let (w, h) = decoder.dimensions().ok_or_else(|| ModelError::ImageCodec {
        path: path.to_path_buf(),
        message: "no frame header".into(),
    })?;
    if (w as u64) * (h as u64) > MAX_IMAGE_PIXELS {
        return Err(ModelError::ImageTooLarge {
            path: path.to_path_buf(),
            width: w as u32,
            height: h as u32,
        });
    }
    let colour = !matches!(
        decoder.input_colorspace(),
        Some(ColorSpace::Luma | ColorSpace::LumaA)
    );
    let out = if colour {
        ColorSpace::RGB
    } else {
        ColorSpace::Luma
    };
    decoder.set_options(decoder.options().jpeg_set_out_colorspace(out));
    let raw = decoder.decode().map_err(codec)?;
    let channels = out.num_components();
    if raw.len() != w * h * channels {
        return Err(ModelError::ImageCodec {
            path: path.to_path_buf(),
            message: format!("decoded {} bytes for a {w}x{h} image", raw.len()),
        });
    }
    let source = ImageSource {
        format: FileFormat::Jpeg,
        bits: 8,
        colour,
        alpha: false,
    };
    Ok((
        GrayImage::new(w, h, plane(&raw, channels, colour, 1.0))?,
        source,
    ))
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`; on any
/// failure the temporary file is removed and `path` is untouched (images and model files).
/// An existing target that is not a regular file (`/dev/null`, a pipe) is written in place,
/// never replaced.
pub fn write_replacing(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(|source| ModelError::Io {
                path: path.to_path_buf(),
                source,
            });
    }
    let name = path.file_name().ok_or_else(|| ModelError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp: PathBuf = path.with_file_name(tmp_name);
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(ModelError::Io {
            path: path.to_path_buf(),
            source: e,
        });
    }
    Ok(())
}
