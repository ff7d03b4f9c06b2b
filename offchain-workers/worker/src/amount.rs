//! Amounts as people read them.

/// The token's decimals (the runtimes' `TOKEN_DECIMALS`).
pub const DECIMALS: u32 = 12;

/// An amount of the smallest unit in COH, with all 12 decimals.
pub fn coh(amount: u128) -> String {
	let unit = 10u128.pow(DECIMALS);
	format!("{}.{:0width$}", amount / unit, amount % unit, width = DECIMALS as usize)
}

/// An amount written in COH (`"12"`, `"0.5"`, `"1_000.25"`) in the smallest unit, exactly:
/// refused when it is not a decimal number, has more than 12 decimals, or does not fit.
pub fn parse_coh(text: &str) -> Result<u128, String> {
	let clean: String = text.trim().chars().filter(|c| *c != '_').collect();
	let (whole, fraction) = clean.split_once('.').unwrap_or((&clean, ""));
	let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
	if !digits(whole) || !(fraction.is_empty() || digits(fraction)) {
		return Err(format!("{text:?} is not an amount of COH"));
	}
	if fraction.len() > DECIMALS as usize {
		return Err(format!("{text:?} has more than {DECIMALS} decimals"));
	}
	let unit = 10u128.pow(DECIMALS);
	let scaled = format!("{fraction:0<width$}", width = DECIMALS as usize);
	whole
		.parse::<u128>()
		.ok()
		.and_then(|w| w.checked_mul(unit))
		.and_then(|w| w.checked_add(scaled.parse::<u128>().ok()?))
		.ok_or_else(|| format!("{text:?} is more COH than there can be"))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn parse_coh_reads_what_coh_prints() {
		for amount in [0, 1, 5 * 10u128.pow(11), 123 * 10u128.pow(12) + 45, u128::MAX] {
			assert_eq!(parse_coh(&coh(amount)), Ok(amount));
		}
		assert_eq!(parse_coh("10"), Ok(10 * 10u128.pow(12)));
		assert_eq!(parse_coh(" 1_000.5 "), Ok(1_000_500_000_000_000));
		for bad in
			["", ".5", "-1", "1e3", "0.0000000000001", "1.2.3", "340282366920938463463374608"]
		{
			assert!(parse_coh(bad).is_err(), "{bad:?}");
		}
	}

	#[test]
	fn coh_keeps_every_decimal() {
		assert_eq!(coh(0), "0.000000000000");
		assert_eq!(coh(1), "0.000000000001");
		assert_eq!(coh(123 * 10u128.pow(12) + 45), "123.000000000045");
		assert_eq!(coh(u128::MAX), "340282366920938463463374607.431768211455");
	}
}
