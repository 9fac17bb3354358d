//! What one party did in one fast image run: its [`Timeline`] (steps by category and layer,
//! traffic, AND gates, activations, pixels) and the accounting of its garbled batches.

use crate::timeline::Timeline;
use runtime::scheme::Scheme;
use std::ops::{Deref, DerefMut};

/// One party's timeline of an image run plus the sizes of its garbled batches; it reads as
/// the [`Timeline`] it holds (`report.pixels`, `report.phases()`, …).
#[derive(Clone, Debug, Default)]
pub struct FastReport {
    /// Steps (categories `cross`, `gc`, `other`, by layer), traffic and counts.
    pub timeline: Timeline,
    /// AND gates of the output circuits (all pixels).
    pub output_ands: u64,
    /// Bytes this party received during the output circuits.
    pub output_bytes_received: u64,
    /// Bytes received during each garbled batch, in order: the activations of every hidden
    /// layer (per chunk when pipelined), then the output circuit of every distinct coverage
    /// (view accounting).
    pub gc_bytes_received: Vec<u64>,
    /// Chunks the image was cut into ([`super::schedule::Chunking`]; 1: not pipelined).
    pub chunks: usize,
    /// The garbling scheme of the run's batches.
    pub scheme: Scheme,
}

impl Deref for FastReport {
    type Target = Timeline;

    fn deref(&self) -> &Timeline {
        &self.timeline
    }
}

impl DerefMut for FastReport {
    fn deref_mut(&mut self) -> &mut Timeline {
        &mut self.timeline
    }
}
