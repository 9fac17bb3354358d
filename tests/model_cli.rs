//! `gcc-nn denoise --plain` end to end, spawning the real binary.

use crate::cli_common;
use cli_common::{db, gcc_nn, text};

#[test]
fn denoise_plain_on_the_shipped_sample_gains_more_than_4_db() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_png = dir.path().join("out.png");
    let out_str = out_png.to_string_lossy().into_owned();
    let out = gcc_nn(&[
        "denoise",
        "--plain",
        "assets/camera256.png",
        "--sigma",
        "25",
        "--seed",
        "3",
        "-o",
        &out_str,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let (noisy, denoised) = (db(&stdout, "noisy"), db(&stdout, "denoised"));
    // σ = 25 alone gives 20·log10(255/25) = 20.17 dB; the PSNR printed is that of the
    // 8-bit image (one definition everywhere), whose clipping at 0 and 255 removes some of
    // the noise of this high-contrast sample: a little above.
    assert!(noisy > 20.17 && noisy < 21.0, "{stdout}");
    assert!(
        stdout.contains("8-bit images"),
        "the definition is stated: {stdout}"
    );
    assert!(denoised > noisy + 4.0, "{stdout}");
    let written = image::open(&out_png).expect("output is a PNG");
    assert_eq!((written.width(), written.height()), (256, 256));
    assert!(matches!(written, image::DynamicImage::ImageLuma8(_)));
}

#[test]
fn denoise_rejects_bad_input_with_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sink = dir.path().join("out.png");
    let sink = sink.to_string_lossy();
    let gif = dir.path().join("pic.gif");
    std::fs::write(&gif, b"GIF89a\x01\0\x01\0\0\0\0;").expect("write");
    let out = gcc_nn(&["denoise", "--plain", &gif.to_string_lossy(), "-o", &sink]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("pic.gif: GIF image: supported image formats are PNG, JPEG"),
        "{}",
        text(&out.stderr)
    );

    let small = dir.path().join("small.png");
    image::GrayImage::new(8, 8).save(&small).expect("write");
    let out = gcc_nn(&["denoise", "--plain", &small.to_string_lossy(), "-o", &sink]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("smaller than the 13x13 input patch"),
        "{}",
        text(&out.stderr)
    );

    let bad_model = dir.path().join("m.gccmlp");
    std::fs::write(
        &bad_model,
        b"GCCNNMLP garbage garbage garbage garbage garbage",
    )
    .expect("write");
    let out = gcc_nn(&[
        "denoise",
        "--plain",
        "--model",
        &bad_model.to_string_lossy(),
        "-o",
        &sink,
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("model file"),
        "{}",
        text(&out.stderr)
    );

    let out = gcc_nn(&["denoise", "assets/camera256.png"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("pass --plain"),
        "{}",
        text(&out.stderr)
    );
}
