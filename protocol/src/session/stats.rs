//! Time per phase and bytes each way of one job: the protocol layer's one
//! [`crate::timeline::Timeline`], which the session names `JobStats`.

pub use crate::timeline::Timeline as JobStats;
