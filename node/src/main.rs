//! The Cohort node binary.

// `sc_cli::Error` is large; it is what every node's `main` returns.
#![allow(clippy::result_large_err)]

fn main() -> sc_cli::Result<()> {
	cohort_node::command::run()
}
