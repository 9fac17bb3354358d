//! Operating-system helpers shared by every gcc-nn crate, each in one place: the atomic file
//! writer ([`atomic_file`]: keys, circuits, shares) and CPU-time accounting from `/proc`
//! ([`cpu`]: the per-side CPU figures of the summaries and benches).

pub mod atomic_file;
pub mod cpu;
