//! Image files in and out (model/src/image_file.rs): PNG, JPEG, TIFF and PGM; 8/16-bit;
//! gray, gray+alpha, RGB and RGBA to BT.601 luma; the output format from the extension;
//! clear errors for unknown, corrupt and oversized files; no half-written output.

use gcc_nn_model::image_file::{FileFormat, ImageSource};
use gcc_nn_model::{GrayImage, ModelError};
use image::{ImageBuffer, Luma, LumaA, Rgb, Rgba};
use std::path::Path;

/// BT.601 luma on the [0, 255] scale, computed here independently of the library.
fn luma(r: f64, g: f64, b: f64) -> f64 {
    (299.0 * r + 587.0 * g + 114.0 * b) / 1000.0
}

fn gradient(w: usize, h: usize) -> GrayImage {
    let px = (0..w * h).map(|i| ((i * 37) % 256) as f64).collect();
    GrayImage::new(w, h, px).expect("valid")
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn rgb_and_rgba_8_bit_become_bt601_luma_with_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let colours = [[255u8, 0, 0], [0, 255, 0], [0, 0, 255], [10, 200, 90]];
    let rgb = ImageBuffer::from_fn(4, 1, |x, _| Rgb(colours[x as usize]));
    let p = dir.path().join("rgb.png");
    rgb.save(&p).expect("write");
    let (img, src) = GrayImage::load_with_source(&p).expect("rgb loads");
    assert_eq!(
        src,
        ImageSource {
            format: FileFormat::Png,
            bits: 8,
            colour: true,
            alpha: false
        }
    );
    for (x, c) in colours.iter().enumerate() {
        let want = luma(f64::from(c[0]), f64::from(c[1]), f64::from(c[2]));
        assert!(
            close(img.get(x, 0), want, 1e-9),
            "pixel {x}: {}",
            img.get(x, 0)
        );
    }
    let note = src.conversion_note().expect("colour is noted");
    assert!(
        note.contains("BT.601") && note.starts_with("8-bit PNG"),
        "{note}"
    );

    // Alpha is dropped, not composited: a transparent red pixel is still red's luma.
    let rgba = ImageBuffer::from_fn(2, 1, |x, _| {
        Rgba([255u8, 0, 0, if x == 0 { 0 } else { 255 }])
    });
    let p = dir.path().join("rgba.png");
    rgba.save(&p).expect("write");
    let (img, src) = GrayImage::load_with_source(&p).expect("rgba loads");
    assert!(src.colour && src.alpha);
    assert!(close(img.get(0, 0), 76.245, 1e-9) && close(img.get(1, 0), 76.245, 1e-9));
    assert!(
        src.conversion_note()
            .expect("noted")
            .contains("alpha ignored")
    );

    let la = ImageBuffer::from_fn(1, 1, |_, _| LumaA([77u8, 3]));
    let p = dir.path().join("la.png");
    la.save(&p).expect("write");
    let (img, src) = GrayImage::load_with_source(&p).expect("gray+alpha loads");
    assert_eq!(img.pixels(), &[77.0]);
    assert!(!src.colour && src.alpha);
}

#[test]
fn plain_8_bit_gray_has_no_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("g.png");
    gradient(9, 7).save(&p).expect("write");
    let (img, src) = GrayImage::load_with_source(&p).expect("loads");
    assert_eq!(img, gradient(9, 7));
    assert_eq!(src.conversion_note(), None);
}

#[test]
fn sixteen_bit_gray_and_rgb_keep_their_precision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let values = [0u16, 1, 257 * 100, 65535, 12345];
    let g16 = ImageBuffer::from_fn(5, 1, |x, _| Luma([values[x as usize]]));
    let p = dir.path().join("g16.png");
    g16.save(&p).expect("write");
    let (img, src) = GrayImage::load_with_source(&p).expect("16-bit loads");
    assert_eq!((src.bits, src.colour), (16, false));
    for (x, v) in values.iter().enumerate() {
        let want = f64::from(*v) * 255.0 / 65535.0;
        assert!(close(img.get(x, 0), want, 1e-9), "{x}: {}", img.get(x, 0));
    }
    // 1/257 survives: the plane is not rounded to 8 bits.
    assert!(img.get(1, 0) > 0.0 && img.get(1, 0) < 0.01);

    let rgb16 = ImageBuffer::from_fn(1, 1, |_, _| Rgb([65535u16, 0, 257 * 40]));
    let p = dir.path().join("rgb16.tif");
    rgb16.save(&p).expect("write tiff");
    let (img, src) = GrayImage::load_with_source(&p).expect("16-bit RGB TIFF loads");
    assert_eq!(src.format, FileFormat::Tiff);
    assert_eq!((src.bits, src.colour), (16, true));
    assert!(close(img.get(0, 0), luma(255.0, 0.0, 40.0), 1e-9));
}

#[test]
fn jpeg_colour_input_decodes_to_its_luma() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A flat colour survives JPEG up to a small error.
    let rgb = ImageBuffer::from_fn(32, 32, |_, _| Rgb([200u8, 120, 40]));
    let p = dir.path().join("flat.jpg");
    rgb.save(&p).expect("write jpeg");
    let (img, src) = GrayImage::load_with_source(&p).expect("jpeg loads");
    assert_eq!(src.format, FileFormat::Jpeg);
    assert!(src.colour);
    let want = luma(200.0, 120.0, 40.0);
    assert!(
        img.pixels().iter().all(|&v| close(v, want, 2.0)),
        "want ≈ {want}, got {:?}",
        &img.pixels()[..4]
    );
}

#[test]
fn output_format_follows_the_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let img = gradient(24, 16);
    let cases: [(&str, FileFormat, &[u8]); 7] = [
        ("a.png", FileFormat::Png, b"\x89PNG\r\n\x1a\n"),
        ("a.PNG", FileFormat::Png, b"\x89PNG"),
        ("a.jpg", FileFormat::Jpeg, b"\xff\xd8\xff"),
        ("a.jpeg", FileFormat::Jpeg, b"\xff\xd8\xff"),
        ("a.tif", FileFormat::Tiff, b"II*\0"),
        ("a.tiff", FileFormat::Tiff, b"II*\0"),
        ("a.pgm", FileFormat::Pnm, b"P5"),
    ];
    for (name, format, magic) in cases {
        let p = dir.path().join(name);
        assert_eq!(img.save(&p).expect("save"), format, "{name}");
        let bytes = std::fs::read(&p).expect("written");
        assert!(bytes.starts_with(magic), "{name}: {:02x?}", &bytes[..8]);
        let back = GrayImage::load(&p).expect("reads back");
        if format == FileFormat::Jpeg {
            let mse = back
                .pixels()
                .iter()
                .zip(img.pixels())
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                / 384.0;
            assert!(mse < 200.0, "{name}: JPEG error {mse}");
        } else {
            assert_eq!(back, img, "{name}: lossless round trip");
        }
    }
    // Only the written file is left: no temporary files beside it.
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        cases.len()
    );
}

#[test]
fn unknown_output_extensions_are_refused_before_writing() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["out.bmp", "out", "out.gif", "out.png.txt"] {
        let p = dir.path().join(name);
        let e = gradient(4, 4).save(&p).expect_err(name);
        assert!(
            matches!(e, ModelError::UnsupportedOutputFormat { .. }),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("use .png, .jpg/.jpeg, .tif/.tiff or .pgm"),
            "{e}"
        );
        assert!(!p.exists(), "{name} must not be created");
    }
    // save_png writes PNG whatever the name.
    let p = dir.path().join("forced.jpg");
    gradient(4, 4).save_png(&p).expect("png");
    assert!(std::fs::read(&p).expect("read").starts_with(b"\x89PNG"));
}

#[test]
fn failed_writes_leave_nothing_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("missing-dir").join("x.png");
    let e = gradient(4, 4).save(&p).expect_err("no such directory");
    assert!(matches!(e, ModelError::Io { .. }), "{e}");
    assert!(e.to_string().contains("missing-dir"), "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

#[test]
fn unsupported_corrupt_and_oversized_inputs_are_clear_errors() {
    let bmp = b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x01\0\0\0\x01\0\0\0\x01\0\x18\0";
    let e = GrayImage::decode(bmp, Path::new("pic.bmp")).expect_err("bmp");
    assert_eq!(
        e.to_string(),
        "pic.bmp: BMP image: supported image formats are PNG, JPEG, TIFF and PGM/PPM"
    );

    // A JPEG cut after its header: a decode error naming the file.
    let bytes = gradient(64, 64).encode(FileFormat::Jpeg).expect("encode");
    let e =
        GrayImage::decode(&bytes[..bytes.len() / 3], Path::new("cut.jpg")).expect_err("truncated");
    assert!(matches!(e, ModelError::ImageCodec { .. }), "{e}");
    assert!(
        e.to_string().starts_with("cut.jpg: cannot decode image"),
        "{e}"
    );

    // A PGM header declaring 100000x100000: refused from the header, nothing decoded.
    let e =
        GrayImage::decode(b"P5\n100000 100000\n255\n", Path::new("huge.pgm")).expect_err("huge");
    assert!(
        matches!(
            e,
            ModelError::ImageTooLarge {
                width: 100_000,
                height: 100_000,
                ..
            }
        ),
        "{e}"
    );
    // An 8-bit gray PGM within the limits reads.
    let ok = GrayImage::decode(b"P5\n2 1\n255\n\x05\xfa", Path::new("ok.pgm")).expect("pgm");
    assert_eq!(ok.pixels(), &[5.0, 250.0]);
}

#[cfg(unix)]
#[test]
fn special_files_are_written_in_place_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let null = Path::new("/dev/null");
    gradient(4, 4)
        .save_as(null, FileFormat::Png)
        .expect("write to /dev/null");
    let meta = std::fs::metadata(null).expect("still there");
    assert!(
        meta.file_type().is_char_device(),
        "/dev/null must stay a device"
    );
    // A directory as the target is an error naming it.
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("d.png");
    std::fs::create_dir(&target).expect("mkdir");
    let e = gradient(4, 4).save(&target).expect_err("directory");
    assert!(e.to_string().contains("d.png"), "{e}");
}
