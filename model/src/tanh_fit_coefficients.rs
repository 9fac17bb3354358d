/// The fitted approximation of `circuits/tanh_fit.dsl` (3 pieces up to |x| = 3.5), from
/// `cargo run -p gcc-nn-model --example fit_tanh -- 3 3.5`; max error 3.3e-3 in fixed point.
pub const TANH_FIT: PiecewiseQuadratic = PiecewiseQuadratic {
    name: "tanh_fit",
    pieces: &[
        Piece {
            upper: 0.75,
            m: -0.2691298,
            c: 1.0527644,
            d: 0.0,
        },
        Piece {
            upper: 1.71875,
            m: -0.2450828,
            c: 0.9113469,
            d: 0.0924159,
        },
        Piece {
            upper: 3.5,
            m: -0.0282999,
            c: 0.1782786,
            d: 0.7178868,
        },
    ],
    t_bits: 14,
    t2_frac: 13,
    t2_bits: 17,
    coef_frac: 14,
};
