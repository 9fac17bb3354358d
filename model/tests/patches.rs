//! Patch split and merge, geometry, normalisation.

use gcc_nn_model::patches::{PatchGeometry, centre, denormalise, extract, merge, normalise};
use gcc_nn_model::{GrayImage, ModelError};

fn ramp(w: usize, h: usize) -> GrayImage {
    let px = (0..w * h).map(|i| ((i * 37) % 251) as f64 + 0.25).collect();
    GrayImage::new(w, h, px).expect("valid image")
}

#[test]
fn split_then_merge_of_centres_is_identity() {
    for (w, h, g) in [
        (40, 33, (13, 5, 5)),
        (31, 29, (13, 5, 3)),
        (21, 21, (21, 9, 4)),
        (13, 13, (13, 5, 5)),
    ] {
        let img = ramp(w, h);
        let geo = PatchGeometry::new(g.0, g.1, g.2).expect("valid geometry");
        let patches = extract(&img, geo).expect("split");
        let centres: Vec<f64> = (0..patches.count())
            .flat_map(|k| centre(patches.patch(k), geo))
            .collect();
        let back = merge(&centres, &patches, w, h).expect("merge");
        assert_eq!(back, img, "{w}x{h} {g:?}");
    }
}

#[test]
fn patch_counts_match_the_design_figures() {
    // docs/design.md §9: 256×256 gives 7,225 patches at stride 3 and 2,704 at stride 5.
    assert_eq!(
        PatchGeometry::new(13, 5, 3)
            .expect("ok")
            .patch_count(256, 256),
        7225
    );
    assert_eq!(
        PatchGeometry::new(13, 5, 5)
            .expect("ok")
            .patch_count(256, 256),
        2704
    );
}

#[test]
fn borders_are_mirrored() {
    let img = ramp(20, 20);
    let geo = PatchGeometry::new(13, 5, 5).expect("ok");
    let p = extract(&img, geo).expect("split");
    // First patch: input row 0 is image row −4 → mirrored to row 3; column −4 → 3.
    assert_eq!(p.patch(0)[0], img.get(3, 3));
    // Row 4, column 4 of the first input patch is image pixel (0, 0).
    assert_eq!(p.patch(0)[4 * 13 + 4], img.get(0, 0));
}

#[test]
fn overlaps_are_averaged() {
    let img = ramp(12, 12);
    let geo = PatchGeometry::new(5, 5, 4).expect("ok"); // positions 0, 4, 7: overlap on 7
    let p = extract(&img, geo).expect("split");
    let ones: Vec<f64> = (0..p.count()).flat_map(|k| vec![k as f64; 25]).collect();
    let m = merge(&ones, &p, 12, 12).expect("merge");
    // Pixel (7, 0) is covered by patch 1 (x0 = 4) and patch 2 (x0 = 7), both in row 0.
    assert_eq!(m.get(7, 0), 1.5);
    assert_eq!(m.get(0, 0), 0.0);
}

#[test]
fn normalisation_round_trips() {
    assert!((normalise(127.5)).abs() < 1e-12);
    assert!((normalise(255.0) - 2.5).abs() < 1e-12);
    for v in [0.0, 17.3, 255.0, -40.0] {
        assert!((denormalise(normalise(v)) - v).abs() < 1e-9);
    }
}

#[test]
fn bad_geometry_and_small_images_are_errors() {
    assert!(matches!(
        PatchGeometry::new(13, 6, 3),
        Err(ModelError::BadGeometry(_))
    ));
    assert!(matches!(
        PatchGeometry::new(5, 13, 3),
        Err(ModelError::BadGeometry(_))
    ));
    assert!(matches!(
        PatchGeometry::new(13, 5, 6),
        Err(ModelError::BadGeometry(_))
    ));
    assert!(matches!(
        PatchGeometry::new(13, 5, 0),
        Err(ModelError::BadGeometry(_))
    ));
    let geo = PatchGeometry::new(13, 5, 5).expect("ok");
    let err = extract(&ramp(12, 40), geo).expect_err("too small");
    assert!(err.to_string().contains("smaller than the 13x13"), "{err}");
}
