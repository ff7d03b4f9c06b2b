//! The worker's data directory:
//!
//! ```text
//! <data-dir>/datasets/<dataset id>.cohd|.csv   a trainer's local data (cohort_ml::dataset formats)
//! <data-dir>/validation/<any name>.cohd|.csv   validation sets, found by their hash
//! <data-dir>/journal.scale, sealed/            what the worker has submitted (journal.rs, sealed.rs)
//! <data-dir>/challenges.scale                  compute challenge answers until revealed (answers.rs)
//! ```

use std::{
	collections::HashMap,
	path::{Path, PathBuf},
};

use cohort_ml::dataset::{Dataset, DatasetError};
use cohort_primitives::DatasetId;
use sp_core::H256;

pub struct DataDir {
	root: PathBuf,
	datasets: HashMap<DatasetId, Dataset>,
	validation: HashMap<H256, Dataset>,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
	#[error("{path}: {error}")]
	Io { path: PathBuf, error: std::io::Error },
	#[error("no file for dataset {id} in {dir} (expected {id}.cohd or {id}.csv)")]
	NoDataset { id: DatasetId, dir: PathBuf },
	#[error("no validation set with hash {hash:?} in {dir}")]
	NoValidationSet { hash: H256, dir: PathBuf },
	#[error(transparent)]
	Dataset(#[from] DatasetError),
}

impl DataDir {
	/// Opens (and creates) the data directory at `root`.
	pub fn open(root: &Path) -> Result<Self, DataError> {
		for dir in [root.join("datasets"), root.join("validation")] {
			std::fs::create_dir_all(&dir).map_err(|error| DataError::Io { path: dir, error })?;
		}
		Ok(Self { root: root.to_owned(), datasets: HashMap::new(), validation: HashMap::new() })
	}

	/// The directory itself (the journal lives there too).
	pub fn root(&self) -> &Path {
		&self.root
	}

	/// A trainer's dataset, read once and then kept.
	pub fn dataset(&mut self, id: DatasetId) -> Result<&Dataset, DataError> {
		if !self.datasets.contains_key(&id) {
			let dir = self.root.join("datasets");
			let path = ["cohd", "csv"]
				.iter()
				.map(|ext| dir.join(format!("{id}.{ext}")))
				.find(|p| p.exists())
				.ok_or(DataError::NoDataset { id, dir })?;
			self.datasets.insert(id, Dataset::load(&path)?);
		}
		Ok(&self.datasets[&id])
	}

	/// A trainer's dataset already read by [`Self::dataset`].
	pub fn loaded(&self, id: DatasetId) -> Option<&Dataset> {
		self.datasets.get(&id)
	}

	/// The validation set whose [`Dataset::hash`] is `hash`.
	pub fn validation(&mut self, hash: H256) -> Result<&Dataset, DataError> {
		if !self.validation.contains_key(&hash) {
			let dir = self.root.join("validation");
			let entries = std::fs::read_dir(&dir)
				.map_err(|error| DataError::Io { path: dir.clone(), error })?;
			for entry in entries.flatten() {
				if let Ok(set) = Dataset::load(&entry.path()) {
					self.validation.insert(set.hash(), set);
				}
			}
			if !self.validation.contains_key(&hash) {
				return Err(DataError::NoValidationSet { hash, dir });
			}
		}
		Ok(&self.validation[&hash])
	}

	/// Writes a trainer's dataset in the binary format.
	pub fn write_dataset(&mut self, id: DatasetId, data: &Dataset) -> Result<(), DataError> {
		let path = self.root.join("datasets").join(format!("{id}.cohd"));
		std::fs::write(&path, data.to_bytes()).map_err(|error| DataError::Io { path, error })?;
		self.datasets.remove(&id);
		Ok(())
	}

	/// Writes a validation set in the binary format, named by its hash; returns the hash.
	pub fn write_validation(&mut self, data: &Dataset) -> Result<H256, DataError> {
		let hash = data.hash();
		let path = self.root.join("validation").join(format!("{hash:?}.cohd"));
		std::fs::write(&path, data.to_bytes()).map_err(|error| DataError::Io { path, error })?;
		Ok(hash)
	}
}
