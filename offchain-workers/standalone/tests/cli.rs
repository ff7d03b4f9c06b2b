//! The `cohort-worker` binary's key commands, run as a user runs them. (Building this test
//! builds the binary itself, with the test run's features: the end-to-end tests use it.)

use std::process::{Command, Output};

fn worker(args: &[&str]) -> Output {
	Command::new(env!("CARGO_BIN_EXE_cohort-worker")).args(args).output().expect("it runs")
}

fn stdout(output: &Output) -> String {
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn keys_are_generated_imported_and_listed() {
	let dir = tempfile::tempdir().unwrap();
	let base = dir.path().to_str().unwrap();
	let generated = stdout(&worker(&["key", "generate", "--base-path", base]));
	let address = generated
		.lines()
		.find_map(|l| l.strip_prefix("Address: "))
		.expect("the address is printed")
		.to_string();
	let phrase = generated
		.lines()
		.find_map(|l| l.split_once("shown only now): ").map(|(_, p)| p))
		.expect("the recovery phrase is printed");
	assert_eq!(phrase.split_whitespace().count(), 12);

	let imported = stdout(&worker(&["key", "import", "--base-path", base, "--suri", "//Alice"]));
	assert_eq!(imported.trim(), "Imported 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");

	let mut listed: Vec<String> =
		stdout(&worker(&["key", "list", "--base-path", base])).lines().map(String::from).collect();
	listed.sort();
	let mut expected =
		vec![address, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".to_string()];
	expected.sort();
	assert_eq!(listed, expected);
}

#[test]
fn a_bad_import_fails_and_adds_nothing() {
	let dir = tempfile::tempdir().unwrap();
	let base = dir.path().to_str().unwrap();
	let bad = worker(&["key", "import", "--base-path", base, "--suri", "no such phrase"]);
	assert!(!bad.status.success());
	let json = dir.path().join("export.json");
	std::fs::write(&json, "{\"encoded\": \"\"}").unwrap();
	let password = dir.path().join("password");
	std::fs::write(&password, "secret\n").unwrap();
	let bad = worker(&[
		"key",
		"import",
		"--base-path",
		base,
		"--json",
		json.to_str().unwrap(),
		"--json-password-file",
		password.to_str().unwrap(),
	]);
	assert!(!bad.status.success());
	assert!(String::from_utf8_lossy(&bad.stderr).contains("not a polkadot.js key export"));
	assert_eq!(stdout(&worker(&["key", "list", "--base-path", base])), "");
}

#[test]
fn running_needs_a_base_path() {
	let output = worker(&["--node", "ws://127.0.0.1:1"]);
	assert!(!output.status.success());
	assert!(String::from_utf8_lossy(&output.stderr).contains("--base-path"));
}
