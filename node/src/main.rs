//! The Cohort node binary.

fn main() -> sc_cli::Result<()> {
	cohort_node::command::run()
}
