//! Privacy accounting: the ε that the engine's differentially private training costs.
//!
//! **The accountant.** Rényi differential privacy (RDP, Mironov 2017) of the sampled Gaussian
//! mechanism at integer orders α, as Mironov, Talwar & Zhang 2019 ("Rényi Differential Privacy
//! of the Sampled Gaussian Mechanism", section 3.3) give it and as TF-Privacy's `compute_rdp` and
//! Opacus compute it for integer α: for a sampling rate `q` and a noise multiplier `σ` (noise
//! deviation over sensitivity), one step has
//!
//! ```text
//! A_α = Σ_{k=0..α} C(α,k) (1−q)^(α−k) q^k exp((k²−k) / (2σ²))
//! RDP(α) = ln(A_α) / (α − 1)
//! ```
//!
//! computed in log space (a log-sum-exp of the terms, so large α and small σ do not overflow);
//! `q = 1` is the plain Gaussian mechanism, `RDP(α) = α / (2σ²)` exactly. RDP composes by
//! addition: `steps` steps cost `steps · RDP(α)`.
//!
//! **The conversion to (ε, δ).** The classic bound (Mironov 2017, proposition 3):
//! `ε = min_α [RDP(α) + ln(1/δ) / (α − 1)]` over the integer orders `2..=256`
//! ([`MIN_ORDER`], [`MAX_ORDER`]). It is slightly looser than the conversion TF-Privacy and
//! Opacus use today (Balle et al. 2020, which subtracts `(ln δ + ln α)/(α−1) − ln((α−1)/α)`),
//! so an ε stated here is a valid, somewhat conservative, upper bound.
//!
//! **One round of the engine.** [`train`](crate::train) gives *client-level* DP (DP-FedAvg,
//! McMahan et al. 2018): the unit protected is the owner's whole dataset. Local training is a
//! function of the dataset whose output, the update, is clipped to the L2 norm `C`; then
//! Gaussian noise `N(0, (σC)²)` is added to every coordinate, once, before anything leaves the
//! machine. Against the same owner without its data (an empty dataset, whose update is zero)
//! the released update therefore moves by at most `C` in L2: one Gaussian mechanism with
//! sensitivity `C` and noise multiplier `σ`. Nothing is sampled in secret (the chain selects the
//! trainers in public, and the whole dataset is used), so there is no amplification, `q = 1`;
//! and noise is added once, not per mini-batch, so the round is one step, `steps = 1`. What the
//! aggregators and the chain do with the noised update afterwards is post-processing. Hence
//! [`round_epsilon`] is `epsilon(σ, 1, 1, PRIVACY_DELTA)`, what a task's
//! [`DpParams::epsilon_micros`] must cover ([`check_round`]); the data market debits that much
//! per round from a dataset's budget (rounds compose by adding their ε, a valid upper bound).
//! Under replace-one adjacency (the owner's dataset swapped for any other) the sensitivity is
//! `2C`: the ε of `σ/2`.

use cohort_primitives::{dataset::PRIVACY_DELTA, task::DpParams, Epsilon};

/// The smallest Rényi order the conversion to (ε, δ) tries.
pub const MIN_ORDER: u32 = 2;
/// The largest Rényi order the conversion to (ε, δ) tries.
pub const MAX_ORDER: u32 = 256;

/// Why a task's DP parameters are refused for training.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PrivacyError {
	/// A zero noise multiplier gives no privacy at all (ε is infinite).
	#[error("the noise multiplier is zero: no differential privacy (ε is infinite)")]
	ZeroNoise,
	/// A zero clipping norm leaves the update unbounded (and the engine then adds no noise).
	#[error("the clipping norm is zero: the update is not bounded, no differential privacy")]
	ZeroClipNorm,
	/// The noise gives a larger ε per round than the task states (and budgets debit).
	#[error(
		"one round with noise multiplier {noise_multiplier} costs ε = {epsilon:.6} at δ = {delta}, \
		 but the task states ε = {stated:.6}: refusing to train"
	)]
	EpsilonTooLarge { noise_multiplier: f64, epsilon: f64, stated: f64, delta: f64 },
}

/// ln C(n, k) for every k in 0..=n, by the recurrence C(n, k) = C(n, k−1)·(n−k+1)/k.
fn log_binomials(n: u32) -> Vec<f64> {
	let mut out = Vec::with_capacity(n as usize + 1);
	let mut log = 0.0f64;
	out.push(log);
	for k in 1..=n {
		log += ((n - k + 1) as f64).ln() - (k as f64).ln();
		out.push(log);
	}
	out
}

/// ln(A_α) for `0 < q < 1` and a positive σ (module docs), by log-sum-exp.
fn log_a(noise_multiplier: f64, q: f64, order: u32) -> f64 {
	let (ln_q, ln_1mq) = (q.ln(), (-q).ln_1p());
	let two_var = 2.0 * noise_multiplier * noise_multiplier;
	let terms: Vec<f64> = log_binomials(order)
		.into_iter()
		.enumerate()
		.map(|(k, log_c)| {
			let k = k as f64;
			let j = order as f64 - k;
			log_c + j * ln_1mq + k * ln_q + (k * k - k) / two_var
		})
		.collect();
	let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
	if !max.is_finite() {
		return max;
	}
	max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

/// The RDP of one step of the sampled Gaussian mechanism at integer `order` ≥ 2 (module docs):
/// `0` for `q = 0`, `α/(2σ²)` for `q = 1`, `+∞` for `σ = 0` (and `q > 0`). NaN for a rate
/// outside `[0, 1]`, a negative or NaN σ, or an order below 2.
pub fn rdp(noise_multiplier: f64, sampling_rate: f64, order: u32) -> f64 {
	let q = sampling_rate;
	if order < 2 || !(0.0..=1.0).contains(&q) || noise_multiplier.is_nan() || noise_multiplier < 0.0
	{
		return f64::NAN;
	}
	if q == 0.0 {
		return 0.0;
	}
	if noise_multiplier == 0.0 {
		return f64::INFINITY;
	}
	if q == 1.0 {
		return order as f64 / (2.0 * noise_multiplier * noise_multiplier);
	}
	log_a(noise_multiplier, q, order) / (order - 1) as f64
}

/// The ε at `delta` of `steps` steps of the sampled Gaussian mechanism, and the order that
/// gives it (module docs: the classic conversion over orders `2..=256`). `(0, MIN_ORDER)` when
/// nothing is released (`q = 0` or no steps); `(+∞, MIN_ORDER)` for `σ = 0`; NaN for a rate
/// outside `[0, 1]`, a negative σ, or a δ outside `(0, 1)`.
pub fn epsilon_and_order(
	noise_multiplier: f64,
	sampling_rate: f64,
	steps: u32,
	delta: f64,
) -> (f64, u32) {
	if !(delta > 0.0 && delta < 1.0) || rdp(noise_multiplier, sampling_rate, MIN_ORDER).is_nan() {
		return (f64::NAN, MIN_ORDER);
	}
	if sampling_rate == 0.0 || steps == 0 {
		return (0.0, MIN_ORDER);
	}
	let log_inverse_delta = -delta.ln();
	(MIN_ORDER..=MAX_ORDER)
		.map(|order| {
			let composed = steps as f64 * rdp(noise_multiplier, sampling_rate, order);
			(composed + log_inverse_delta / (order - 1) as f64, order)
		})
		.fold((f64::INFINITY, MIN_ORDER), |best, next| if next.0 < best.0 { next } else { best })
}

/// The ε at `delta` of `steps` steps of the sampled Gaussian mechanism with sampling rate
/// `sampling_rate` and noise multiplier `noise_multiplier` ([`epsilon_and_order`]).
pub fn epsilon(noise_multiplier: f64, sampling_rate: f64, steps: u32, delta: f64) -> f64 {
	epsilon_and_order(noise_multiplier, sampling_rate, steps, delta).0
}

/// The ε at δ = [`PRIVACY_DELTA`] of one round of the engine's client-level DP with noise
/// multiplier `noise_multiplier`: one unsampled Gaussian mechanism (module docs).
pub fn round_epsilon(noise_multiplier: f64) -> f64 {
	epsilon(noise_multiplier, 1.0, 1, PRIVACY_DELTA)
}

/// The smallest [`DpParams::epsilon_micros`] that [`check_round`] accepts with
/// `noise_multiplier_micros` (the round's ε in millionths, rounded up); `None` if the noise is
/// zero or the ε does not fit.
pub fn round_epsilon_micros(noise_multiplier_micros: u32) -> Option<Epsilon> {
	let micros = (round_epsilon(noise_multiplier_micros as f64 / 1e6) * 1e6).ceil();
	(micros.is_finite() && micros <= Epsilon::MAX as f64).then_some(micros as Epsilon)
}

/// Checks a task's DP parameters before training: the clipping norm and noise multiplier must
/// be positive, and the ε one round costs ([`round_epsilon`]) must be at most the ε the task
/// states (`epsilon_micros`, which is what budgets are debited). Returns that ε.
pub fn check_round(dp: &DpParams) -> Result<f64, PrivacyError> {
	if dp.clip_norm_micros == 0 {
		return Err(PrivacyError::ZeroClipNorm);
	}
	if dp.noise_multiplier_micros == 0 {
		return Err(PrivacyError::ZeroNoise);
	}
	let noise_multiplier = dp.noise_multiplier_micros as f64 / 1e6;
	let epsilon = round_epsilon(noise_multiplier);
	// Compared in millionths, as `round_epsilon_micros` rounds, so that its answer passes.
	if epsilon * 1e6 > dp.epsilon_micros as f64 {
		return Err(PrivacyError::EpsilonTooLarge {
			noise_multiplier,
			epsilon,
			stated: dp.epsilon_micros as f64 / 1e6,
			delta: PRIVACY_DELTA,
		});
	}
	Ok(epsilon)
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The classic conversion of a Gaussian mechanism, written out on its own.
	fn gaussian_epsilon(sigma: f64, delta: f64) -> f64 {
		(2..=256u32)
			.map(|a| a as f64 / (2.0 * sigma * sigma) + (1.0 / delta).ln() / (a as f64 - 1.0))
			.fold(f64::INFINITY, f64::min)
	}

	/// A_α summed directly in f64 (no logs), for small α where nothing overflows.
	fn direct_a(sigma: f64, q: f64, alpha: u32) -> f64 {
		let mut binomial = 1.0f64;
		let mut sum = 0.0;
		for k in 0..=alpha {
			if k > 0 {
				binomial = binomial * (alpha - k + 1) as f64 / k as f64;
			}
			let kf = k as f64;
			sum += binomial
				* (1.0 - q).powi((alpha - k) as i32)
				* q.powi(k as i32)
				* ((kf * kf - kf) / (2.0 * sigma * sigma)).exp();
		}
		sum
	}

	/// A_α from its definition, E_{z ~ N(0, σ²)}[((1−q) + q·N(1,σ²)(z)/N(0,σ²)(z))^α], by the
	/// trapezoid rule: a check of the binomial expansion itself.
	fn integrated_a(sigma: f64, q: f64, alpha: u32) -> f64 {
		let (lo, hi, n) = (-20.0 * sigma - 10.0, 20.0 * sigma + 10.0, 400_000);
		let h = (hi - lo) / n as f64;
		let f = |z: f64| {
			let mu0 = (-z * z / (2.0 * sigma * sigma)).exp()
				/ (sigma * (2.0 * std::f64::consts::PI).sqrt());
			let ratio = ((2.0 * z - 1.0) / (2.0 * sigma * sigma)).exp();
			mu0 * ((1.0 - q) + q * ratio).powi(alpha as i32)
		};
		h * ((1..n).map(|i| f(lo + i as f64 * h)).sum::<f64>() + (f(lo) + f(hi)) / 2.0)
	}

	#[test]
	fn the_gaussian_mechanism_matches_its_closed_form() {
		for sigma in [0.5, 1.0, 1.1, 4.0] {
			for order in [2, 3, 17, 256] {
				assert_eq!(rdp(sigma, 1.0, order), order as f64 / (2.0 * sigma * sigma));
			}
		}
		let expected = gaussian_epsilon(1.0, 1e-5);
		assert_eq!(epsilon(1.0, 1.0, 1, 1e-5), expected);
		// α = 6: 3 + ln(10⁵)/5.
		assert!((expected - (3.0 + 1e5f64.ln() / 5.0)).abs() < 1e-12, "{expected}");
		assert_eq!(epsilon_and_order(1.0, 1.0, 1, 1e-5).1, 6);
		assert_eq!(round_epsilon(1.0), expected);
	}

	#[test]
	fn the_log_space_sum_matches_a_direct_sum_and_the_definition() {
		for (sigma, q) in [(1.0, 0.01), (1.1, 0.1), (2.0, 0.5), (0.7, 0.9), (5.0, 0.3)] {
			for alpha in 2..=10 {
				let direct = direct_a(sigma, q, alpha).ln() / (alpha - 1) as f64;
				let ours = rdp(sigma, q, alpha);
				assert!((ours - direct).abs() <= 1e-12 * direct.abs().max(1.0), "{ours} {direct}");
			}
		}
		for (sigma, q) in [(1.5, 0.1), (1.0, 0.3), (3.0, 0.8)] {
			for alpha in [2, 3, 4] {
				let integrated = integrated_a(sigma, q, alpha).ln() / (alpha - 1) as f64;
				let ours = rdp(sigma, q, alpha);
				assert!(
					(ours - integrated).abs() < 1e-7,
					"σ {sigma} q {q} α {alpha}: {ours} {integrated}"
				);
			}
		}
	}

	#[test]
	fn published_values_of_tf_privacy() {
		// tensorflow/privacy rdp_accountant_test.py: compute_rdp(q, noise_multiplier, steps,
		// orders); test_compute_rdp_scalar (to 5 places) and the integer orders of
		// test_compute_rdp_sequence (to 1e-5).
		assert!((10.0 * rdp(2.0, 0.1, 5) - 0.07737).abs() < 5e-6, "{}", 10.0 * rdp(2.0, 0.1, 5));
		for (order, expected) in [(5, 0.00218075), (50, 0.023846), (100, 167.416307)] {
			let ours = 50.0 * rdp(2.5, 0.01, order);
			assert!((ours - expected).abs() < 1e-5, "α {order}: {ours} vs {expected}");
		}
		// test_compute_rdp_no_data and test_compute_rdp_no_sampling.
		assert_eq!(rdp(10.0, 0.0, 20), 0.0);
		assert_eq!(rdp(10.0, 1.0, 20), 0.1);
	}

	#[test]
	fn more_noise_fewer_steps_and_less_sampling_cost_less() {
		let eps = |sigma, q, steps| epsilon(sigma, q, steps, 1e-5);
		let sigmas = [0.3, 0.6, 1.0, 1.1, 2.0, 5.0];
		for w in sigmas.windows(2) {
			assert!(eps(w[1], 1.0, 1) < eps(w[0], 1.0, 1));
			assert!(eps(w[1], 0.01, 1000) < eps(w[0], 0.01, 1000));
		}
		for w in [1, 10, 100, 1000, 10_000].windows(2) {
			assert!(eps(1.1, 0.01, w[1]) > eps(1.1, 0.01, w[0]));
			assert!(eps(1.0, 1.0, w[1]) > eps(1.0, 1.0, w[0]));
		}
		for w in [1.0, 0.5, 0.1, 0.01, 0.001].windows(2) {
			assert!(eps(1.1, w[1], 100) < eps(1.1, w[0], 100));
		}
	}

	#[test]
	fn edges_are_finite_zero_infinite_or_nan_as_documented() {
		// Large orders and little noise: no overflow.
		let r = rdp(0.1, 0.5, 256);
		assert!(r.is_finite() && r > 0.0, "{r}");
		assert!(epsilon(0.01, 0.999, 1000, 1e-5).is_finite());
		assert_eq!(epsilon(1.0, 0.0, 10, 1e-5), 0.0);
		assert_eq!(epsilon(1.0, 0.5, 0, 1e-5), 0.0);
		assert_eq!(epsilon(0.0, 0.5, 1, 1e-5), f64::INFINITY);
		assert!(epsilon(1.0, 1.5, 1, 1e-5).is_nan());
		assert!(epsilon(-1.0, 0.5, 1, 1e-5).is_nan());
		assert!(epsilon(1.0, 0.5, 1, 0.0).is_nan());
		assert!(rdp(1.0, 0.5, 1).is_nan());
	}

	#[test]
	fn a_round_is_checked_against_the_stated_epsilon() {
		let dp = |noise, eps| DpParams {
			clip_norm_micros: 1_000_000,
			noise_multiplier_micros: noise,
			epsilon_micros: eps,
		};
		let needed = round_epsilon_micros(1_000_000).unwrap();
		assert_eq!(needed, (gaussian_epsilon(1.0, PRIVACY_DELTA) * 1e6).ceil() as u32);
		assert_eq!(check_round(&dp(1_000_000, needed)), Ok(round_epsilon(1.0)));
		assert!(matches!(
			check_round(&dp(1_000_000, needed - 1)),
			Err(PrivacyError::EpsilonTooLarge { epsilon, .. }) if epsilon == round_epsilon(1.0)
		));
		assert_eq!(check_round(&dp(0, u32::MAX)), Err(PrivacyError::ZeroNoise));
		let unclipped = DpParams { clip_norm_micros: 0, ..dp(1_000_000, u32::MAX) };
		assert_eq!(check_round(&unclipped), Err(PrivacyError::ZeroClipNorm));
		// A noise multiplier of 0.001 costs about a million ε per round: more than fits.
		assert_eq!(round_epsilon_micros(1_000), None);
		assert!(check_round(&dp(1_000, u32::MAX)).is_err());
		// The worker test's task: σ = 0.016 costs ε ≈ 3917.76 (α = 2: 1/σ² + ln(10⁵)).
		assert_eq!(round_epsilon_micros(16_000), Some(3_917_762_926));
		assert_eq!(epsilon_and_order(0.016, 1.0, 1, PRIVACY_DELTA).1, 2);
		for noise in [20_000, 300_000, 1_100_000, 7_000_000] {
			let needed = round_epsilon_micros(noise).unwrap();
			assert!(check_round(&dp(noise, needed)).is_ok());
			assert!(check_round(&dp(noise, needed - 1)).is_err());
		}
	}
}
