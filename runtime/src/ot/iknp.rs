//! IKNP semi-honest OT extension producing correlated OTs whose correlation is Δ.
//!
//! Roles are reversed for the base OTs: the extension *sender* (garbler) receives one seed
//! per bit of Δ, the extension *receiver* (evaluator) sends 128 seed pairs. Per batch of
//! `m` OTs the receiver sends 128 rows `u_i = G(k⁰_i) ⊕ G(k¹_i) ⊕ r` (16 bytes per OT);
//! after transposition the sender holds `q_j` and the receiver `t_j = q_j ⊕ r_j·Δ`.
//! PRG streams continue across calls, so one setup serves any number of extensions.

use super::{OtError, base, chan, transpose::transpose_matrix};
use crate::block::{Block, Delta};
use crate::channel::Channel;
use crate::prg::Prg;
use rand::CryptoRng;
use zeroize::Zeroizing;

/// Columns (of 128 OTs each) per step: the 128 rows of a step (256 KiB) stay in the L2
/// cache between the PRG, the XOR with `u` and the transposition. On the wire, each step
/// is 128 rows of `u`, row `i` holding `cols` blocks.
const CHUNK_COLS: usize = 128;

/// The extension sender (garbler side): learns the zero labels `q_j`. Δ is wiped on drop,
/// the base-OT seeds right after they key the PRGs (the `aes` crate wipes its key schedules
/// on drop).
pub struct CotSender {
    delta: Delta,
    prgs: Vec<Prg>,
}

impl CotSender {
    /// Runs the 128 base OTs (as base-OT receiver, choosing the bits of Δ).
    pub fn setup<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
        ch: &mut C,
        delta: Delta,
        rng: &mut R,
    ) -> Result<CotSender, OtError> {
        let choices: Zeroizing<Vec<bool>> =
            Zeroizing::new((0..128).map(|i| delta.block().bit(i)).collect());
        let seeds = base::receive(ch, &choices, rng)?;
        Ok(CotSender {
            prgs: seeds.iter().map(|&seed| Prg::new(seed)).collect(),
            delta,
        })
    }

    /// The correlation Δ.
    pub fn delta(&self) -> Delta {
        self.delta.clone()
    }

    /// Runs `m` correlated OTs; returns the sender's zero labels `q_j` (one label is `q_j ⊕ Δ`).
    pub fn extend<C: Channel + ?Sized>(
        &mut self,
        ch: &mut C,
        m: usize,
    ) -> Result<Vec<Block>, OtError> {
        let mut out = Vec::new();
        self.extend_into(ch, m, &mut out)?;
        Ok(out)
    }

    /// [`CotSender::extend`] appending the `m` zero labels to `out` (a buffer reused across
    /// calls has its pages mapped already; fresh room is advised for huge pages).
    pub fn extend_into<C: Channel + ?Sized>(
        &mut self,
        ch: &mut C,
        m: usize,
        out: &mut Vec<Block>,
    ) -> Result<(), OtError> {
        crate::memory::reserve_huge(out, m);
        let start = out.len();
        let cols_total = m.div_ceil(128);
        let width = CHUNK_COLS.min(cols_total);
        let mut q = vec![Block::ZERO; 128 * width];
        let mut u = vec![0u8; 16 * 128 * width];
        let delta = self.delta.block();
        let mut done = 0;
        while done < cols_total {
            let cols = CHUNK_COLS.min(cols_total - done);
            let (q, u) = (&mut q[..128 * cols], &mut u[..16 * 128 * cols]);
            // The step's 128 rows of u in one read (straight from the socket into `u`).
            ch.recv_exact(u)
                .map_err(chan("OT extension (receiving the matrix rows u)"))?;
            let rows = q.chunks_exact_mut(cols).zip(u.chunks_exact(16 * cols));
            for (i, ((row, u), prg)) in rows.zip(&mut self.prgs).enumerate() {
                prg.fill_blocks(row);
                let s = Block::mask(delta.bit(i));
                for (q, ui) in row.iter_mut().zip(u.chunks_exact(16)) {
                    *q ^= s & block_at(ui);
                }
            }
            transpose_matrix(q, cols, m - (out.len() - start), out);
            done += cols;
        }
        Ok(())
    }
}

/// The extension receiver (evaluator side): learns `t_j = q_j ⊕ r_j·Δ` for its choices.
pub struct CotReceiver {
    prgs: Vec<(Prg, Prg)>,
}

impl CotReceiver {
    /// Runs the 128 base OTs (as base-OT sender).
    pub fn setup<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
        ch: &mut C,
        rng: &mut R,
    ) -> Result<CotReceiver, OtError> {
        let seeds = base::send(ch, 128, rng)?;
        Ok(CotReceiver {
            prgs: seeds
                .iter()
                .map(|&(k0, k1)| (Prg::new(k0), Prg::new(k1)))
                .collect(),
        })
    }

    /// Runs one correlated OT per choice bit; returns the chosen labels.
    pub fn extend<C: Channel + ?Sized>(
        &mut self,
        ch: &mut C,
        choices: &[bool],
    ) -> Result<Vec<Block>, OtError> {
        let mut out = Vec::new();
        self.extend_into(ch, choices, &mut out)?;
        Ok(out)
    }

    /// [`CotReceiver::extend`] appending the chosen labels to `out` (see
    /// [`CotSender::extend_into`]).
    pub fn extend_into<C: Channel + ?Sized>(
        &mut self,
        ch: &mut C,
        choices: &[bool],
        out: &mut Vec<Block>,
    ) -> Result<(), OtError> {
        let m = choices.len();
        crate::memory::reserve_huge(out, m);
        let start = out.len();
        let cols_total = m.div_ceil(128);
        let width = CHUNK_COLS.min(cols_total);
        let mut t = vec![Block::ZERO; 128 * width];
        let mut g1 = vec![Block::ZERO; width];
        let mut r = vec![Block::ZERO; width];
        let mut u = vec![0u8; 16 * 128 * width];
        let mut done = 0;
        let e = chan("OT extension (sending the matrix rows u)");
        while done < cols_total {
            let cols = CHUNK_COLS.min(cols_total - done);
            let (t, g1, r) = (&mut t[..128 * cols], &mut g1[..cols], &mut r[..cols]);
            let u = &mut u[..16 * 128 * cols];
            // Choice bits of this step packed 128 per block (padding bits are 0).
            pack_choices(&choices[done * 128..m.min((done + cols) * 128)], r);
            let rows = t.chunks_exact_mut(cols).zip(u.chunks_exact_mut(16 * cols));
            for ((row, u), (p0, p1)) in rows.zip(&mut self.prgs) {
                p0.fill_blocks(row);
                p1.fill_blocks(g1);
                for (((u, &g), &t), &rj) in u.chunks_exact_mut(16).zip(&*g1).zip(&*row).zip(&*r) {
                    u.copy_from_slice(&(g ^ t ^ rj).to_bytes());
                }
            }
            // The step's 128 rows of u in one write (straight to the socket).
            ch.send(u).map_err(&e)?;
            ch.flush().map_err(&e)?;
            transpose_matrix(t, cols, m - (out.len() - start), out);
            done += cols;
        }
        Ok(())
    }
}

/// The block in 16 little-endian bytes (`bytes.len() == 16`).
#[inline(always)]
fn block_at(bytes: &[u8]) -> Block {
    let mut b = [0u8; 16];
    b.copy_from_slice(bytes);
    Block::from_bytes(b)
}

/// Packs choice bits 128 per block, LSB first (bit `j % 128` of `out[j / 128]`); blocks past
/// the end of `choices` and padding bits are 0.
fn pack_choices(choices: &[bool], out: &mut [Block]) {
    for (chunk, dst) in choices.chunks(128).zip(out.iter_mut()) {
        let mut bytes = [0u8; 16];
        for (byte, bits) in bytes.iter_mut().zip(chunk.chunks(8)) {
            *byte = bits
                .iter()
                .enumerate()
                .fold(0u8, |acc, (i, &b)| acc | (b as u8) << i);
        }
        *dst = Block::from_bytes(bytes);
    }
    let full = choices.len().div_ceil(128).min(out.len());
    out[full..].fill(Block::ZERO);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::MemChannel;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha12Rng;
    use std::time::Duration;

    #[test]
    fn receiver_gets_chosen_label_and_not_the_other() {
        let (mut a, mut b) = MemChannel::pair(Duration::from_secs(20));
        let mut rng = ChaCha12Rng::seed_from_u64(11);
        let delta = Delta::random(&mut rng);
        let sizes = [1usize, 127, 128, 129, 5000, CHUNK_COLS * 128 + 77];
        let choices: Vec<Vec<bool>> = sizes
            .iter()
            .map(|&m| (0..m).map(|_| rng.random()).collect())
            .collect();
        let choices2 = choices.clone();
        let recv = std::thread::spawn(move || {
            let mut rng = ChaCha12Rng::seed_from_u64(12);
            let mut r = CotReceiver::setup(&mut b, &mut rng).expect("setup");
            choices2
                .iter()
                .map(|c| r.extend(&mut b, c).expect("extend"))
                .collect::<Vec<_>>()
        });
        let mut s = CotSender::setup(&mut a, delta.clone(), &mut rng).expect("setup");
        let sent: Vec<Vec<Block>> = sizes
            .iter()
            .map(|&m| s.extend(&mut a, m).expect("extend"))
            .collect();
        let got = recv.join().expect("receiver thread");
        let mut ones = 0;
        for ((q, t), c) in sent.iter().zip(&got).zip(&choices) {
            assert_eq!(q.len(), c.len());
            for ((&q, &t), &c) in q.iter().zip(t).zip(c) {
                let chosen = if c { q ^ delta.block() } else { q };
                let other = if c { q } else { q ^ delta.block() };
                assert_eq!(t, chosen, "receiver holds m_b");
                assert_ne!(t, other, "receiver does not hold m_(1-b)");
                ones += c as usize;
            }
        }
        assert!(ones > 1000, "both choice values exercised");
        // The zero labels look random: no two equal among the first batch of 5000.
        let mut z: Vec<u128> = sent[4].iter().map(|b| b.0).collect();
        z.sort_unstable();
        z.dedup();
        assert_eq!(z.len(), 5000);
    }

    #[test]
    fn extend_into_appends_after_existing_labels_and_reuses_the_buffer() {
        let (mut a, mut b) = MemChannel::pair(Duration::from_secs(20));
        let mut rng = ChaCha12Rng::seed_from_u64(21);
        let delta = Delta::random(&mut rng);
        let m = 3 * CHUNK_COLS * 128 + 5;
        let choices: Vec<Vec<bool>> = (0..2)
            .map(|_| (0..m).map(|_| rng.random()).collect())
            .collect();
        let choices2 = choices.clone();
        let recv = std::thread::spawn(move || {
            let mut rng = ChaCha12Rng::seed_from_u64(22);
            let mut r = CotReceiver::setup(&mut b, &mut rng).expect("setup");
            let mut out = vec![Block(9); 3];
            let mut runs = Vec::new();
            for c in &choices2 {
                r.extend_into(&mut b, c, &mut out).expect("extend_into");
                runs.push(out.clone());
                out.truncate(3);
            }
            runs
        });
        let mut s = CotSender::setup(&mut a, delta.clone(), &mut rng).expect("setup");
        let mut out = vec![Block(9); 3];
        let mut sent = Vec::new();
        for _ in 0..2 {
            s.extend_into(&mut a, m, &mut out).expect("extend_into");
            sent.push(out.clone());
            out.truncate(3);
        }
        let got = recv.join().expect("receiver thread");
        for ((q, t), c) in sent.iter().zip(&got).zip(&choices) {
            assert_eq!((q.len(), t.len()), (3 + m, 3 + m), "appends exactly m");
            assert_eq!(q[..3], [Block(9); 3], "earlier contents kept (sender)");
            assert_eq!(t[..3], [Block(9); 3], "earlier contents kept (receiver)");
            for ((&q, &t), &c) in q[3..].iter().zip(&t[3..]).zip(c) {
                assert_eq!(t, if c { q ^ delta.block() } else { q });
            }
        }
        assert_ne!(
            sent[0][3..],
            sent[1][3..],
            "the second run continues the streams"
        );
    }

    #[test]
    fn choices_pack_lsb_first_128_per_block() {
        let choices: Vec<bool> = (0..300).map(|i| i % 3 == 0 || i == 299).collect();
        let mut out = vec![Block::ONES; 4];
        pack_choices(&choices, &mut out);
        for (j, &c) in choices.iter().enumerate() {
            assert_eq!(out[j / 128].bit(j % 128), c, "bit {j}");
        }
        assert!(
            (300..384).all(|j| !out[j / 128].bit(j % 128)),
            "padding bits are 0"
        );
        assert_eq!(out[3], Block::ZERO, "blocks past the choices are 0");
    }

    #[test]
    fn base_ot_keys_match_choices() {
        let (mut a, mut b) = MemChannel::pair(Duration::from_secs(20));
        let choices: Vec<bool> = (0..64).map(|i| i % 3 == 0).collect();
        let c2 = choices.clone();
        let t = std::thread::spawn(move || {
            let mut rng = ChaCha12Rng::seed_from_u64(1);
            base::receive(&mut b, &c2, &mut rng).expect("receive")
        });
        let mut rng = ChaCha12Rng::seed_from_u64(2);
        let pairs = base::send(&mut a, 64, &mut rng).expect("send");
        let got = t.join().expect("thread");
        for ((&(k0, k1), &k), &c) in pairs.iter().zip(got.iter()).zip(&choices) {
            assert_eq!(k, if c { k1 } else { k0 });
            assert_ne!(k, if c { k0 } else { k1 });
        }
    }

    #[test]
    fn invalid_point_is_rejected() {
        let (mut a, mut b) = MemChannel::pair(Duration::from_secs(5));
        // 0xff.. is not a canonical Ristretto encoding.
        a.send(&[0xff; 32]).expect("send");
        a.flush().expect("flush");
        let mut rng = ChaCha12Rng::seed_from_u64(3);
        let r = base::receive(&mut b, &[true], &mut rng);
        assert!(matches!(r, Err(OtError::InvalidPoint { index: 0 })));
    }
}
