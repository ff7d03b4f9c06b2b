//! Which keys a worker serves, the same for the node-hosted worker and the standalone one: the
//! simulated dev keys asked for (each with its dev role: owner, aggregator, cheater, poisoner,
//! compute provider), then every other worker key its keystore holds, as an honest participant
//! that joins nothing on its own.

use cohort_ml::attack::Attack;
use sp_core::{crypto::Ss58Codec, sr25519};

use crate::{
	chain::{AccountId, Balance, BlockNumber},
	data::DataDir,
	dev::{self, DevKey},
	AutoJoin, Behaviour, Participant,
};

/// The simulated network's keys a worker serves (`--dev`).
#[derive(Debug, Clone, Default)]
pub struct DevOptions {
	/// Only these dev keys, by secret URI (`//Charlie`); `None`: every one of them.
	pub only: Option<Vec<String>>,
	/// Create the demo task, signed by [`dev::DEMO_OWNER`], if the chain has no task.
	pub demo_task: bool,
	/// Add the dev cheaters (a copying trainer, a lazy aggregator).
	pub cheaters: bool,
	/// Add one poisoning data owner per attack.
	pub poisoners: Vec<Attack>,
}

/// The keys a worker serves, and the demo task it creates (its owner and specification).
pub struct Served {
	pub participants: Vec<Participant>,
	pub demo_task: Option<(sr25519::Public, cohort_primitives::TaskSpec<Balance, BlockNumber>)>,
}

/// A dev key's name in the worker's logs: what it is, and its secret URI.
pub fn dev_name(key: &DevKey) -> String {
	let uri = key.uri;
	match (&key.auto_join, &key.behaviour) {
		(_, Behaviour::CopyingTrainer) => format!("copying trainer ({uri})"),
		(_, Behaviour::LazyAggregator) => format!("lazy aggregator ({uri})"),
		(_, Behaviour::ColludingAggregator) => format!("colluding aggregator ({uri})"),
		(AutoJoin::Trainer { dataset, .. }, Behaviour::Poisoner(attack)) => {
			format!("poisoner {dataset} {attack} ({uri})")
		},
		(AutoJoin::Trainer { dataset, .. }, _) => format!("owner {dataset} ({uri})"),
		(AutoJoin::Aggregator { .. }, _) => format!("aggregator {uri}"),
	}
}

/// Every dev key's secret URI: what `DevOptions::only` may name.
pub fn dev_uris(options: &DevOptions) -> Result<Vec<&'static str>, String> {
	let mut uris: Vec<&'static str> = dev::participants()
		.into_iter()
		.chain(options.cheaters.then(dev::cheaters).unwrap_or_default())
		.chain(dev::poisoners(&options.poisoners)?)
		.map(|k| k.uri)
		.chain(dev::PROVIDERS)
		.collect();
	uris.dedup();
	Ok(uris)
}

/// The keys to serve. With `dev`, the dev keys are put in the keystore by `add_dev` (which
/// returns the public key of a secret URI) and their data written into `data`; `stored` are the
/// worker keys already in the keystore.
pub fn participants(
	data: &mut DataDir,
	dev: Option<&DevOptions>,
	mut add_dev: impl FnMut(&str) -> Result<sr25519::Public, String>,
	stored: Vec<sr25519::Public>,
) -> Result<Served, String> {
	let mut participants = Vec::new();
	let mut demo_task = None;
	if let Some(options) = dev {
		let known = dev_uris(options)?;
		let wanted =
			|uri: &str| options.only.as_ref().is_none_or(|only| only.iter().any(|u| u == uri));
		if let Some(only) = &options.only {
			if let Some(unknown) = only.iter().find(|u| !known.contains(&u.as_str())) {
				return Err(format!(
					"{unknown} is not a dev key of the simulated network (those are: {})",
					known.join(", ")
				));
			}
		}
		let validation = dev::prepare(data, options.poisoners.len()).map_err(|e| e.to_string())?;
		let cheaters = options.cheaters.then(dev::cheaters).unwrap_or_default();
		let poisoners = dev::poisoners(&options.poisoners)?;
		for key in dev::participants().into_iter().chain(cheaters).chain(poisoners) {
			if !wanted(key.uri) {
				continue;
			}
			participants.push(Participant {
				public: add_dev(key.uri)?,
				name: dev_name(&key),
				auto_join: Some(key.auto_join),
				behaviour: key.behaviour,
				provider: None,
			});
		}
		// The dev compute providers: two of the aggregators, and a key that does nothing else.
		for uri in dev::PROVIDERS.into_iter().filter(|uri| wanted(uri)) {
			let public = add_dev(uri)?;
			let terms = Some(dev::provider_terms());
			match participants.iter_mut().find(|p| p.public == public) {
				Some(p) => p.provider = terms,
				None => participants.push(Participant {
					provider: terms,
					..Participant::new(public, format!("provider {uri}"))
				}),
			}
		}
		if options.demo_task {
			let spec = dev::demo_task(validation, options.cheaters, options.poisoners.len());
			demo_task = Some((add_dev(dev::DEMO_OWNER)?, spec));
		}
	}
	for public in stored {
		if !participants.iter().any(|p| p.public == public)
			&& demo_task.as_ref().is_none_or(|(owner, _)| *owner != public)
		{
			let name = AccountId::from(public).to_ss58check();
			participants.push(Participant::new(public, name));
		}
	}
	Ok(Served { participants, demo_task })
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::Pair;

	fn add(uri: &str) -> Result<sr25519::Public, String> {
		Ok(sr25519::Pair::from_string(uri, None).map_err(|e| format!("{e:?}"))?.public())
	}

	#[test]
	fn dev_keys_are_named_by_what_they_do() {
		let attacks = ["label-flip".parse().unwrap()];
		let poisoner = &dev::poisoners(&attacks).unwrap()[0];
		assert_eq!(dev_name(poisoner), "poisoner 5 label-flip (//1)");
		assert_eq!(dev_name(&dev::participants()[0]), "owner 1 (//Charlie)");
	}

	#[test]
	fn a_worker_serves_only_the_dev_keys_it_is_given_and_its_own() {
		let dir = tempfile::tempdir().unwrap();
		let mut data = DataDir::open(dir.path()).unwrap();
		let own = add("//SomeoneElse").unwrap();
		let only = DevOptions {
			only: Some(vec!["//Charlie".into(), "//Alice//stash".into()]),
			..Default::default()
		};
		let served = participants(&mut data, Some(&only), add, vec![own]).unwrap();
		let names: Vec<_> = served.participants.iter().map(|p| p.name.as_str()).collect();
		assert_eq!(names.len(), 3, "{names:?}");
		assert_eq!(names[0], "owner 1 (//Charlie)");
		assert_eq!(names[1], "aggregator //Alice//stash");
		// //Alice//stash is a dev provider too: it offers compute besides aggregating.
		assert!(served.participants[1].provider.is_some());
		assert_eq!(served.participants[2].public, own);
		assert!(served.demo_task.is_none());
	}

	#[test]
	fn an_unknown_dev_key_is_refused_by_name() {
		let dir = tempfile::tempdir().unwrap();
		let mut data = DataDir::open(dir.path()).unwrap();
		let only = DevOptions { only: Some(vec!["//Mallory".into()]), ..Default::default() };
		let error = participants(&mut data, Some(&only), add, vec![]).err().unwrap();
		assert!(error.starts_with("//Mallory is not a dev key"), "{error}");
	}

	#[test]
	fn every_dev_key_and_the_demo_owner_are_served_with_dev() {
		let dir = tempfile::tempdir().unwrap();
		let mut data = DataDir::open(dir.path()).unwrap();
		let all = DevOptions { demo_task: true, ..Default::default() };
		let served = participants(&mut data, Some(&all), add, vec![]).unwrap();
		// Four owners, three aggregators, and //Ferdie//stash as a provider only.
		assert_eq!(served.participants.len(), 8);
		let (owner, spec) = served.demo_task.unwrap();
		assert_eq!(owner, add(dev::DEMO_OWNER).unwrap());
		assert_eq!(spec.min_trainers, dev::OWNERS as u32);
	}
}
