//! The coefficient encoding of a matrix–vector product (Cheetah, USENIX Security 2022),
//! batched over patches.
//!
//! A block `W ∈ Z^{n_o×n_i}` of the matrix and the `n_i`-long input vectors of `pp` patches
//! are encoded as
//!
//! ```text
//!   v̂ = Σ_{j<n_i} Σ_{p<pp} v_{p,j} · X^{j·pp + p}          ŵ = Σ_{i<n_o} Σ_{j<n_i} W_ij · X^{(i·n_i − j)·pp}
//! ```
//!
//! (a negative power wraps with a sign: `X^{−d} = −X^{N−d}`), with `n_o·n_i·pp ≤ N`. For
//! `pp = 1` this is exactly Cheetah's `ŵ = Σ W_ij X^{i·n_i−j}`, `v̂ = Σ v_j X^j`. Then
//! coefficient `i·n_i·pp + p` of `ŵ·v̂` is `Σ_j W_ij·v_{p,j}` (mod t): a term
//! `W_ij·v_{p',j'}` lands on degree `(i·n_i + j' − j)·pp + p'`; for it to hit
//! `i0·n_i·pp + p0` without wrapping, `p' = p0` (both `< pp`) and `i·n_i + (j'−j) = i0·n_i`,
//! so `j = j'` and `i = i0` since `|j' − j| < n_i`. Degrees lie in `(−n_i·pp, n_o·n_i·pp)`;
//! wrapped terms land in `[N − (n_i−1)·pp, N)`, above the last useful coefficient
//! `(n_o−1)·n_i·pp + pp − 1 ≤ N − (n_i−1)·pp − 1`.
//!
//! Larger matrices are cut into `⌈n_out/n_o⌉ × ⌈n_in/n_i⌉` blocks (products of one output
//! block are summed over the input blocks), the patches into `⌈P/pp⌉` groups.
//! [`Layout::choose`] picks the partition with the least estimated cost (see there).
//!
//! Useful output coefficients only read input coefficients at degrees `m·pp + p` with
//! `−(n_o−1)·n_i ≤ m < n_o·n_i`: the *support* `[0, n_o·n_i·pp) ∪ [N − (n_o−1)·n_i·pp, N)`.
//! Only the support of an input ciphertext's `b` is sent; for `n_o = 1` it is exactly the
//! message area.

use crate::error::{Result, RlweError};
use crate::noise;
use crate::params::{L, N, PRIMES};

/// How a layer's product is cut into polynomial products (both parties compute the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Inputs per patch (matrix columns).
    pub n_in: usize,
    /// Outputs per patch (matrix rows).
    pub n_out: usize,
    /// Number of patches P.
    pub patches: usize,
    /// Share-ring bits k (`t = 2^k`).
    pub k: u32,
    /// Block columns n_i.
    pub n_i: usize,
    /// Block rows n_o.
    pub n_o: usize,
    /// Patches per polynomial.
    pub pp: usize,
    /// How the multiplier computes the products (the ciphertexts are the same either way).
    pub engine: Engine,
}

/// The multiplier's way of computing `Σ ŵ·Enc(v̂)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Every nonzero coefficient of ŵ as a signed shift-and-multiply-accumulate (sparse ŵ:
    /// many patches per polynomial).
    Coefficient,
    /// ŵ transformed, products pointwise in the NTT domain (dense ŵ: few patches).
    Ntt,
}

/// Cost model constants (ns on the reference machine, from `examples/rlwe_bench.rs`).
const MAC_NS: f64 = 1.0;
const NTT_NS: f64 = 150_000.0;
const MULMOD_NS: f64 = 5.0;
const OUTPUT_NS: f64 = 4e6;
const BYTE_NS: f64 = 2.0;

/// One nonzero coefficient of ŵ: `w·X^degree` (degree in `[0, N)`, sign already folded in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    /// Input block the term multiplies.
    pub block: usize,
    /// Degree in `[0, N)`.
    pub degree: usize,
    /// Signed weight, `|w| ≤ 2^(k−1)` (centred share, wrap sign applied).
    pub w: i64,
}

impl noise::Budget {
    /// The budget of `layout`: [`noise::Budget::for_product`] on its shape (defined here, so
    /// that the noise module needs no layout).
    pub fn for_layout(layout: &Layout) -> Result<Self> {
        Self::for_product(layout.n_in, layout.n_out, layout.n_o, layout.k)
    }
}

impl Layout {
    /// A layout after checking `n_o·n_i·pp ≤ N`, the sizes and the noise budget.
    pub fn new(
        n_in: usize,
        n_out: usize,
        patches: usize,
        k: u32,
        blocks: (usize, usize, usize),
    ) -> Result<Self> {
        let (n_i, n_o, pp) = blocks;
        let bad = |what: String| Err(RlweError::InvalidParameter { what });
        if n_in == 0 || n_out == 0 || patches == 0 {
            return bad(format!(
                "empty product: {n_in} inputs, {n_out} outputs, {patches} patches"
            ));
        }
        if !(1..=crate::params::MAX_K).contains(&k) {
            return bad(format!(
                "share ring bits k = {k} outside 1..={}",
                crate::params::MAX_K
            ));
        }
        if n_i == 0 || n_o == 0 || pp == 0 || n_i > n_in || n_o > n_out || pp > patches {
            return bad(format!(
                "block sizes n_i = {n_i}, n_o = {n_o}, pp = {pp} outside 1..=({n_in}, {n_out}, {patches})"
            ));
        }
        if n_o.saturating_mul(n_i).saturating_mul(pp) > N {
            return bad(format!("n_o·n_i·pp = {n_o}·{n_i}·{pp} exceeds N = {N}"));
        }
        let layout = Self {
            n_in,
            n_out,
            patches,
            k,
            n_i,
            n_o,
            pp,
            engine: Engine::Coefficient,
        };
        noise::Budget::for_layout(&layout)?;
        let engine = if layout.ntt_ns() < layout.coefficient_ns() {
            Engine::Ntt
        } else {
            Engine::Coefficient
        };
        Ok(Self { engine, ..layout })
    }

    /// The same layout computed with `engine` (for tests and measurements).
    pub fn with_engine(self, engine: Engine) -> Self {
        Self { engine, ..self }
    }

    /// Estimated multiplier time of the coefficient engine: every weight over all N
    /// coefficients of `a` and the useful span of `b`, every prime.
    pub fn coefficient_ns(&self) -> f64 {
        let b_span = ((self.n_o - 1) * self.n_i * self.pp + self.pp) as f64;
        (self.n_out * self.n_in * self.groups()) as f64 * L as f64 * (N as f64 + b_span) * MAC_NS
    }

    /// Estimated multiplier time of the NTT engine: inputs and results transformed, one
    /// transform of ŵ per block product, pointwise products on `a` and `b`.
    pub fn ntt_ns(&self) -> f64 {
        let products = (self.out_blocks() * self.in_blocks() * self.groups()) as f64;
        let transforms = (2 * self.input_count() + 2 * self.output_count()) as f64 + products;
        transforms * L as f64 * NTT_NS + products * (2 * L * N) as f64 * MULMOD_NS
    }

    /// Estimated time of the product on the reference machine, the quantity
    /// [`Layout::choose`] minimises: the cheaper engine's product time, 4·10^6 per returned
    /// ciphertext and 2 per byte sent either way.
    pub fn estimated_ns(&self) -> f64 {
        self.coefficient_ns().min(self.ntt_ns())
            + OUTPUT_NS * self.output_count() as f64
            + BYTE_NS * self.bytes() as f64
    }

    /// The layout with the least estimated cost among all `(n_i, n_o)` with `pp` as large as
    /// fits, that pass the noise budget. Cost in ns on the reference machine (measured with
    /// `examples/rlwe_bench.rs`): the cheaper engine's product time ([`Layout::coefficient_ns`],
    /// [`Layout::ntt_ns`]), 4·10^6 per returned ciphertext (mask, encryption of zero,
    /// flooding, switching, decryption) and 2 per byte sent either way.
    pub fn choose(n_in: usize, n_out: usize, patches: usize, k: u32) -> Result<Self> {
        let mut best: Option<(f64, Layout)> = None;
        for n_i in 1..=n_in.min(N) {
            for n_o in 1..=n_out.min(N / n_i) {
                let pp = patches.min(N / (n_o * n_i));
                let Ok(l) = Self::new(n_in, n_out, patches, k, (n_i, n_o, pp)) else {
                    continue;
                };
                let cost = l.estimated_ns();
                if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                    best = Some((cost, l));
                }
            }
        }
        best.map(|(_, l)| l).ok_or_else(|| RlweError::NoiseBudget {
            what: format!("every layout of a {n_out}×{n_in} product at k = {k}"),
            needed_bits: 0,
            available_bits: crate::params::log2_q(),
        })
    }

    /// Input blocks `⌈n_in/n_i⌉`.
    pub fn in_blocks(&self) -> usize {
        self.n_in.div_ceil(self.n_i)
    }

    /// Output blocks `⌈n_out/n_o⌉`.
    pub fn out_blocks(&self) -> usize {
        self.n_out.div_ceil(self.n_o)
    }

    /// Patch groups `⌈P/pp⌉`.
    pub fn groups(&self) -> usize {
        self.patches.div_ceil(self.pp)
    }

    /// Input ciphertexts, order `[input block][group]`.
    pub fn input_count(&self) -> usize {
        self.in_blocks() * self.groups()
    }

    /// Returned ciphertexts, order `[output block][group]`.
    pub fn output_count(&self) -> usize {
        self.out_blocks() * self.groups()
    }

    /// Patches `[g·pp, min((g+1)·pp, P))` of group g.
    pub fn group_range(&self, g: usize) -> std::ops::Range<usize> {
        g * self.pp..((g + 1) * self.pp).min(self.patches)
    }

    /// Rows `[ob·n_o, …)` of output block ob.
    pub fn row_range(&self, ob: usize) -> std::ops::Range<usize> {
        ob * self.n_o..((ob + 1) * self.n_o).min(self.n_out)
    }

    /// Columns of input block ib.
    pub fn col_range(&self, ib: usize) -> std::ops::Range<usize> {
        ib * self.n_i..((ib + 1) * self.n_i).min(self.n_in)
    }

    /// Degree of input `j_l` (within its block) of patch `p_l` (within its group).
    pub fn input_degree(&self, j_l: usize, p_l: usize) -> usize {
        j_l * self.pp + p_l
    }

    /// Degree of the useful output coefficient of row `i_l` and patch `p_l`.
    pub fn output_degree(&self, i_l: usize, p_l: usize) -> usize {
        i_l * self.n_i * self.pp + p_l
    }

    /// `(head, tail)`: the input support is `[0, head) ∪ [N − tail, N)`.
    pub fn support(&self) -> (usize, usize) {
        let head = (self.n_o * self.n_i * self.pp).min(N);
        (head, ((self.n_o - 1) * self.n_i * self.pp).min(N - head))
    }

    /// The support's degrees in order.
    pub fn support_degrees(&self) -> impl Iterator<Item = usize> + '_ {
        let (head, tail) = self.support();
        (0..head).chain(N - tail..N)
    }

    /// Useful coefficients of output block ob and group g (real rows × real patches).
    pub fn useful_count(&self, ob: usize, g: usize) -> usize {
        self.row_range(ob).len() * self.group_range(g).len()
    }

    /// The useful degrees of output block ob, group g, in `[row][patch]` order.
    pub fn useful_degrees(&self, ob: usize, g: usize) -> impl Iterator<Item = usize> + '_ {
        let (rows, pats) = (self.row_range(ob).len(), self.group_range(g).len());
        (0..rows).flat_map(move |i_l| (0..pats).map(move |p_l| self.output_degree(i_l, p_l)))
    }

    /// `v̂` of input block ib and group g from `x` in `[j][patch]` order (values mod t).
    pub fn encode_vector(&self, x: &[u64], ib: usize, g: usize) -> Result<Vec<u64>> {
        self.check("inputs x[j][patch]", x.len(), self.n_in * self.patches)?;
        self.check_index("input block", ib, self.in_blocks())?;
        self.check_index("patch group", g, self.groups())?;
        let mut v = vec![0u64; N];
        for (j_l, j) in self.col_range(ib).enumerate() {
            for (p_l, p) in self.group_range(g).enumerate() {
                v[self.input_degree(j_l, p_l)] = x[j * self.patches + p] & self.t_mask();
            }
        }
        Ok(v)
    }

    /// The nonzero terms of `ŵ` of output block ob and input block ib, from the matrix `w`
    /// (`[i][j]`, shares mod t), centred to `|w| ≤ 2^(k−1)`.
    pub(crate) fn terms(&self, w: &[u64], ob: usize, ib: usize) -> Vec<Term> {
        let mut out = Vec::with_capacity(self.n_o * self.n_i);
        for (i_l, i) in self.row_range(ob).enumerate() {
            for (j_l, j) in self.col_range(ib).enumerate() {
                let c = self.centre(w[i * self.n_in + j]);
                if c == 0 {
                    continue;
                }
                let d = (i_l * self.n_i) as i64 * self.pp as i64 - (j_l * self.pp) as i64;
                let (degree, w) = if d >= 0 {
                    (d as usize, c)
                } else {
                    ((N as i64 + d) as usize, -c)
                };
                out.push(Term {
                    block: ib,
                    degree,
                    w,
                });
            }
        }
        out
    }

    /// `ŵ` as a polynomial mod t (coefficients in `[0, t)`), for references and tests.
    pub fn encode_matrix(&self, w: &[u64], ob: usize, ib: usize) -> Result<Vec<u64>> {
        self.check("matrix E[i][j]", w.len(), self.n_in * self.n_out)?;
        self.check_index("output block", ob, self.out_blocks())?;
        self.check_index("input block", ib, self.in_blocks())?;
        let mut p = vec![0u64; N];
        for t in self.terms(w, ob, ib) {
            p[t.degree] = (p[t.degree] as i64).wrapping_add(t.w) as u64 & self.t_mask();
        }
        Ok(p)
    }

    /// Scatters the useful coefficients `vals` (from [`Layout::useful_degrees`] order) of output
    /// block ob, group g into `out` (`[i][patch]`).
    pub fn scatter(&self, vals: &[u64], ob: usize, g: usize, out: &mut [u64]) -> Result<()> {
        self.check_index("output block", ob, self.out_blocks())?;
        self.check_index("patch group", g, self.groups())?;
        self.check("useful values", vals.len(), self.useful_count(ob, g))?;
        self.check("outputs [i][patch]", out.len(), self.n_out * self.patches)?;
        let pats = self.group_range(g);
        for (t, &v) in vals.iter().enumerate() {
            let (i_l, p_l) = (t / pats.len(), t % pats.len());
            out[(self.row_range(ob).start + i_l) * self.patches + pats.start + p_l] = v;
        }
        Ok(())
    }

    fn check(&self, what: &'static str, actual: usize, expected: usize) -> Result<()> {
        if actual != expected {
            return Err(RlweError::LengthMismatch {
                what,
                expected,
                actual,
            });
        }
        Ok(())
    }

    fn check_index(&self, what: &str, index: usize, count: usize) -> Result<()> {
        if index >= count {
            return Err(RlweError::InvalidParameter {
                what: format!("{what} {index} out of range (there are {count})"),
            });
        }
        Ok(())
    }

    /// `2^k − 1`.
    pub fn t_mask(&self) -> u64 {
        (1u64 << self.k) - 1
    }

    /// The centred representative of a share: `[2^(k−1), 2^k) ↦ [−2^(k−1), 0)`.
    pub fn centre(&self, w: u64) -> i64 {
        let w = w & self.t_mask();
        if w >> (self.k - 1) == 1 {
            w as i64 - (1i64 << self.k)
        } else {
            w as i64
        }
    }

    /// Bytes of one input ciphertext (seed, support of b at each prime's width).
    pub fn input_bytes(&self) -> usize {
        let (h, t) = self.support();
        let bits: usize = PRIMES
            .iter()
            .map(|&p| crate::bits::prime_bits(p) as usize)
            .sum();
        crate::bits::INPUT_HEADER + ((h + t) * bits).div_ceil(8)
    }

    /// Bytes of returned ciphertext (ob, g): `a` (N) and the useful `b` at Q0's width.
    pub fn output_bytes(&self, ob: usize, g: usize) -> usize {
        let w = crate::bits::prime_bits(PRIMES[0]) as usize;
        crate::bits::OUTPUT_HEADER + ((N + self.useful_count(ob, g)) * w).div_ceil(8)
    }

    /// Bytes of the whole product: all inputs one way, all results the other. Blocks and
    /// groups come in at most two sizes (full, last), so this is O(1).
    pub fn bytes(&self) -> usize {
        let (obs, gs) = (self.out_blocks(), self.groups());
        let sizes = |count: usize| [(0, count - 1), (count - 1, 1)];
        let out: usize = sizes(obs)
            .iter()
            .flat_map(|&(ob, nob)| sizes(gs).map(move |(g, ng)| (ob, nob, g, ng)))
            .filter(|&(_, nob, _, ng)| nob * ng > 0)
            .map(|(ob, nob, g, ng)| nob * ng * self.output_bytes(ob, g))
            .sum();
        self.input_count() * self.input_bytes() + out
    }
}
