//! Files that survive a crash or a power cut: written whole or not at all.

use std::{
	fs::File,
	io::Write,
	path::{Path, PathBuf},
};

/// Writes `bytes` to `path` so that, after a crash at any point, `path` holds either its old
/// content or all of `bytes`: write a temporary file beside it, fsync it, rename it over `path`,
/// then fsync the directory (the rename is durable only once the directory entry is).
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
	let partial = partial_path(path);
	let mut file = File::create(&partial)?;
	file.write_all(bytes)?;
	file.sync_all()?;
	drop(file);
	std::fs::rename(&partial, path)?;
	sync_dir(path)
}

/// Removes `path` (a missing file is fine) and makes the removal durable.
pub fn remove(path: &Path) -> std::io::Result<()> {
	match std::fs::remove_file(path) {
		Ok(()) => sync_dir(path),
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
		Err(e) => Err(e),
	}
}

/// Renames a file that cannot be read to `<name>.corrupt-<n>` beside it, the first `n` free,
/// so that it is kept for inspection and its place is free; returns the new path.
pub fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
	let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
	let aside = (0u32..)
		.map(|n| path.with_file_name(format!("{name}.corrupt-{n}")))
		.find(|p| !p.exists())
		.expect("some number is free");
	std::fs::rename(path, &aside)?;
	sync_dir(path)?;
	Ok(aside)
}

/// The temporary file [`write`] uses for `path`.
pub fn partial_path(path: &Path) -> PathBuf {
	let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
	path.with_file_name(format!("{name}.partial"))
}

#[cfg(unix)]
fn sync_dir(path: &Path) -> std::io::Result<()> {
	match path.parent() {
		Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
		_ => File::open(".")?.sync_all(),
	}
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) -> std::io::Result<()> {
	// Directories cannot be opened as files here; the rename is as durable as the OS makes it.
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn writes_replace_whole_files_and_corrupt_files_are_kept_aside() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("a.scale");
		write(&path, b"one").unwrap();
		write(&path, b"two").unwrap();
		assert_eq!(std::fs::read(&path).unwrap(), b"two");
		assert!(!partial_path(&path).exists());

		let aside = move_aside(&path).unwrap();
		assert_eq!(aside, dir.path().join("a.scale.corrupt-0"));
		write(&path, b"three").unwrap();
		assert_eq!(move_aside(&path).unwrap(), dir.path().join("a.scale.corrupt-1"));
		assert_eq!(std::fs::read(aside).unwrap(), b"two");
		assert!(!path.exists());
		remove(&path).unwrap();
	}
}
