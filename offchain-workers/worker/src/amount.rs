//! Amounts as people read them.

/// The token's decimals (the runtimes' `TOKEN_DECIMALS`).
pub const DECIMALS: u32 = 12;

/// An amount of the smallest unit in COH, with all 12 decimals.
pub fn coh(amount: u128) -> String {
	let unit = 10u128.pow(DECIMALS);
	format!("{}.{:0width$}", amount / unit, amount % unit, width = DECIMALS as usize)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn coh_keeps_every_decimal() {
		assert_eq!(coh(0), "0.000000000000");
		assert_eq!(coh(1), "0.000000000001");
		assert_eq!(coh(123 * 10u128.pow(12) + 45), "123.000000000045");
		assert_eq!(coh(u128::MAX), "340282366920938463463374607.431768211455");
	}
}
