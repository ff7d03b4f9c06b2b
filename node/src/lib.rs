//! The Cohort node: a solochain node on `sc-service` with Aura block production, GRANDPA
//! finality, ParityDB storage, JSON-RPC and off-chain workers.
//!
//! It is a library as well as a binary so that tests can build its service in-process.

// `sc_cli::Error` and `sc_service::Error` are large, and every command and the service return
// them, as the SDK's own nodes do: boxing them would change every signature for nothing.
#![allow(clippy::result_large_err)]

pub mod benchmarking;
pub mod chain_spec;
pub mod chart;
pub mod cli;
pub mod command;
pub mod dataset;
pub mod extrinsic;
pub mod ml_worker;
pub mod rounds;
pub mod rpc;
pub mod service;
pub mod simulate;
