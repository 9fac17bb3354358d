//! `gcc-nn denoise --plain` with images as people have them: an RGB JPEG and a 16-bit PNG
//! (made here with the image crate), output format from the extension, clear errors for
//! unknown extensions and corrupt files.

use std::path::{Path, PathBuf};

use crate::cli_common;
use cli_common::{gcc_nn, text};

fn sample() -> image::GrayImage {
    image::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/camera256.png"))
        .expect("sample")
        .to_luma8()
}

/// Denoises `input` to `output`, asserting success; returns stderr.
fn denoise(input: &Path, output: &Path) -> String {
    let out = gcc_nn(&[
        "denoise",
        "--plain",
        &input.to_string_lossy(),
        "-o",
        &output.to_string_lossy(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stderr)
}

/// Mean absolute difference between two gray images of the same size.
fn mad(a: &image::GrayImage, b: &image::GrayImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    a.pixels()
        .zip(b.pixels())
        .map(|(p, q)| f64::from(p[0].abs_diff(q[0])))
        .sum::<f64>()
        / f64::from(a.width() * a.height())
}

fn plain_reference(dir: &Path) -> image::GrayImage {
    let out = dir.join("reference.png");
    denoise(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/camera256.png"),
        &out,
    );
    image::open(&out).expect("png").to_luma8()
}

#[test]
fn rgb_jpeg_input_is_denoised_as_its_luma_with_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A colour picture whose BT.601 luma is the sample: R = G = B = gray, tinted by a
    // luma-neutral offset (+a on R, −a·0.299/0.587 on G).
    let gray = sample();
    let rgb = image::RgbImage::from_fn(gray.width(), gray.height(), |x, y| {
        let v = f64::from(gray.get_pixel(x, y)[0]);
        let a = 20.0f64.min(255.0 - v).min(v * 0.587 / 0.299);
        let g = v - a * 0.299 / 0.587;
        image::Rgb([(v + a).round() as u8, g.round() as u8, v as u8])
    });
    let jpg = dir.path().join("colour.jpg");
    rgb.save_with_format(&jpg, image::ImageFormat::Jpeg)
        .expect("write jpeg");
    let out = dir.path().join("out.png");
    let stderr = denoise(&jpg, &out);
    assert!(
        stderr.contains("colour.jpg: 8-bit JPEG image: colour converted to gray (BT.601"),
        "{stderr}"
    );
    let got = image::open(&out).expect("png output").to_luma8();
    // JPEG is lossy: close to the denoised gray sample, not equal.
    let d = mad(&got, &plain_reference(dir.path()));
    assert!(d < 3.0, "mean |difference| {d}");
}

#[test]
fn sixteen_bit_png_input_matches_the_8_bit_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gray = sample();
    let g16: image::ImageBuffer<image::Luma<u16>, Vec<u16>> =
        image::ImageBuffer::from_fn(gray.width(), gray.height(), |x, y| {
            image::Luma([u16::from(gray.get_pixel(x, y)[0]) * 257])
        });
    let png16 = dir.path().join("deep.png");
    g16.save(&png16).expect("write 16-bit png");
    let out = dir.path().join("out.png");
    let stderr = denoise(&png16, &out);
    assert!(!stderr.contains("note:"), "gray needs no note: {stderr}");
    let got = image::open(&out).expect("png").to_luma8();
    // v·257 / 257 = v exactly: the same pixels as the 8-bit file.
    assert_eq!(got, plain_reference(dir.path()));
}

#[test]
fn output_format_follows_the_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/camera256.png");
    let cases: [(&str, &[u8]); 4] = [
        ("x.jpg", b"\xff\xd8\xff"),
        ("x.tiff", b"II*\0"),
        ("x.pgm", b"P5"),
        ("x.png", b"\x89PNG"),
    ];
    for (name, magic) in cases {
        let p = dir.path().join(name);
        denoise(&sample, &p);
        let bytes = std::fs::read(&p).expect("written");
        assert!(bytes.starts_with(magic), "{name}: {:02x?}", &bytes[..4]);
    }
    // An unknown extension is refused before any work and nothing is written.
    let bmp: PathBuf = dir.path().join("x.bmp");
    let out = gcc_nn(&["denoise", "--plain", "-o", &bmp.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("x.bmp: cannot tell the output image format from the extension"),
        "{err}"
    );
    assert!(!bmp.exists());
}

#[test]
fn corrupt_images_are_clear_errors_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.jpg");
    image::DynamicImage::ImageLuma8(sample())
        .save(&good)
        .expect("jpeg");
    let bytes = std::fs::read(&good).expect("read");
    let cut = dir.path().join("cut.jpg");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let out_png = dir.path().join("out.png");
    let out = gcc_nn(&[
        "denoise",
        "--plain",
        &cut.to_string_lossy(),
        "-o",
        &out_png.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("cut.jpg: cannot decode image"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out_png.exists(), "nothing written for a failed run");
}
