//! Placeholder for an optional dependency Cohort never enables; see `vendor/README.md`.
compile_error!("turso is a placeholder in Cohort: do not enable cubecl's `persistence` feature");
