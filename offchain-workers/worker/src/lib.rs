//! Cohort's ML worker: on each new block it asks the chain what each of its keys must do
//! (`FederatedApi::duties`), trains, scores and aggregates with `cohort-ml`, and submits the
//! commit and reveal extrinsics of trainers (updates) and aggregators (scores, then results);
//! it reads what became of each of them from the blocks. It reaches the chain only through
//! [`Chain`], so the node hosts it (`--ml-worker`) and the standalone `cohort-worker` runs it
//! against any node over JSON-RPC.
//!
//! - [`chain`]: the trait, the actions it submits, the outcomes and rounds it reads;
//!   [`call`]: each action as a runtime call by name, for clients that know the runtime by its
//!   metadata;
//! - [`setup`]: which keys a worker serves (dev keys and its keystore's);
//! - [`worker`]: what to do for each duty (federated, and compute: offers, heartbeats,
//!   challenges, leases), claiming the keys' rewards, and the progress log;
//! - [`journal`]: what was submitted and what became of it, on disk, so a restart neither loses
//!   nor repeats work; [`sealed`]: the opening of each commitment, in a file of its own;
//!   [`answers`]: the compute challenges' answers committed to, until revealed;
//!   [`durable`]: crash-safe file writes;
//! - [`data`]: the data directory (trainers' datasets, validation sets);
//! - [`dev`]: simulated data owners (and cheaters, and poisoners) on the bundled digits dataset
//!   for `--dev`;
//! - [`cache`], [`log_once`]: a bounded cache of global models; failure lines logged once;
//!   [`amount`]: amounts in COH.

pub mod amount;
pub mod answers;
pub mod cache;
pub mod call;
pub mod chain;
pub mod data;
pub mod dev;
pub mod durable;
pub mod journal;
pub mod listing_json;
pub mod log_once;
pub mod sealed;
pub mod setup;
pub mod spec_file;
pub mod worker;

pub use chain::{Action, Chain, ChainError, Outcome, RoundView};

/// The keystore key type of worker keys: `cohort-node key insert --key-type cohw --scheme sr25519`
/// for the node-hosted worker, `cohort-worker key ...` for the standalone one.
pub const WORKER_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"cohw");
pub use worker::{AutoJoin, Behaviour, ClaimAfter, Participant, Worker};
