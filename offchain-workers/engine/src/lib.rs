//! Cohort's ML engine, usable and tested without a chain.
//!
//! - [`codec`]: model parameters ⇄ payloads. Training runs in `f32`; what is committed on chain
//!   is the quantized payload (fixed-point `i32` with the task's scale), so every later step is
//!   exact.
//! - [`aggregate`]: weighted mean (FedAvg), trimmed mean, coordinate-wise median and multi-Krum
//!   in integer arithmetic with one rounding rule, on all cores, so that every honest aggregator
//!   produces the same bytes and the same hash.
//! - [`partition`]: non-IID splits (label skew, Dirichlet) of a labelled dataset among simulated
//!   data owners.

pub mod aggregate;
pub mod codec;
pub mod partition;
