//! Cohort's ML worker: on each new block it asks the chain what each of its keys must do
//! (`FederatedApi::duties`), trains, aggregates and scores with `cohort-ml`, and submits the
//! commit, reveal and aggregate extrinsics. It reaches the chain only through [`Chain`], so the
//! node hosts it (`--ml-worker`) and a separate process could too.
//!
//! - [`chain`]: the trait and the actions it submits;
//! - [`worker`]: what to do for each duty, and the progress log;
//! - [`journal`]: what was submitted, on disk, so a restart neither loses nor repeats work;
//! - [`data`]: the data directory (trainers' datasets, validation sets);
//! - [`dev`]: simulated data owners on the bundled digits dataset for `--dev`.

pub mod chain;
pub mod data;
pub mod dev;
pub mod journal;
pub mod worker;

pub use chain::{Action, Chain, ChainError};

/// The keystore key type of worker keys: `cohort-node key insert --key-type cohw --scheme sr25519`.
pub const WORKER_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"cohw");
pub use worker::{AutoJoin, Participant, Worker};
