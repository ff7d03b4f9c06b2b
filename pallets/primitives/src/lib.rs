//! What the Cohort pallets, the runtime, the node and the ML worker share: the description of a
//! federated-learning task, the layout of the payloads that travel in block bodies, the traits
//! through which pallets reach each other, and the runtime API workers ask for their duties.
//!
//! Everything here is integer: it is read or written by consensus code.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod api;
pub mod commitment;
pub mod committee;
pub mod compute;
pub mod dataset;
pub mod draw;
pub mod hold;
pub mod independence;
pub mod judgement;
pub mod model;
pub mod payload;
pub mod payout;
pub mod round;
pub mod scaling;
pub mod task;
pub mod traits;

pub use dataset::{DatasetInfo, DatasetListing, DatasetSchema, Epsilon};
pub use model::ModelSpec;
pub use payload::{PayloadHeader, PayloadKind, PayloadRef};
pub use round::{Phase, RoundInfo, RoundMetrics, RoundSummary};
pub use task::{AggregationRule, ScoreGate, TaskInfo, TaskSpec, TaskStatus};

/// A federated-learning task, numbered from 0 in order of creation.
pub type TaskId = u32;
/// A round of a task, numbered from 0.
pub type RoundIndex = u32;
/// A dataset, as the data market lists it. Opaque to the `federated` pallet.
pub type DatasetId = u64;
/// A contribution score, in millionths (1_000_000 = the best possible contribution).
pub type Score = u32;
