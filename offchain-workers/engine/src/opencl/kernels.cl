// Cohort's aggregation kernels. Each mirrors a CPU rule in src/aggregate bit for bit: the same
// integer arithmetic and one rounding rule (to the nearest integer, halves away from zero).
// `values` holds n updates of `dimension` coordinates, update i at [i * dimension, ...).

#define MAX_UPDATES 64
#define DISTANCE_BLOCK 4096
#define DISTANCE_GROUP 64

// num / den rounded to the nearest integer, halves away from zero; den > 0, |num| < 2^63.
long div_round(long num, long den) {
	ulong a = num < 0 ? (ulong)(-num) : (ulong)num;
	ulong q = a / (ulong)den;
	ulong r = a % (ulong)den;
	if (2 * r >= (ulong)den) {
		q += 1;
	}
	return num < 0 ? -(long)q : (long)q;
}

// Σ wᵢ·xᵢ / Σ wᵢ. The host guarantees Σ wᵢ < 2^32, so every partial sum is below 2^63.
__kernel void weighted_mean(__global const int *values, __global const ulong *weights,
		const uint n, const ulong dimension, const long total, __global int *out) {
	ulong k = get_global_id(0);
	if (k >= dimension) {
		return;
	}
	long sum = 0;
	for (uint i = 0; i < n; i++) {
		sum += (long)weights[i] * (long)values[(ulong)i * dimension + k];
	}
	out[k] = (int)div_round(sum, total);
}

// Sort the column, drop `trim` values from each end, mean of the rest. n <= MAX_UPDATES.
__kernel void trimmed_mean(__global const int *values, const uint n, const ulong dimension,
		const uint trim, __global int *out) {
	ulong k = get_global_id(0);
	if (k >= dimension) {
		return;
	}
	int column[MAX_UPDATES];
	for (uint i = 0; i < n; i++) {
		int v = values[(ulong)i * dimension + k];
		uint j = i;
		while (j > 0 && column[j - 1] > v) {
			column[j] = column[j - 1];
			j--;
		}
		column[j] = v;
	}
	long sum = 0;
	for (uint i = trim; i < n - trim; i++) {
		sum += column[i];
	}
	out[k] = (int)div_round(sum, (long)(n - 2 * trim));
}

// Multi-Krum's pairwise squared distances, in parts: work group (b, p) sums (x - y)² over block b
// of the coordinates of pair p = (first[p], second[p]) as a 128-bit (lo, hi) pair. Its
// DISTANCE_GROUP items take every DISTANCE_GROUP-th coordinate of the block, so that neighbouring
// items read neighbouring values (coalesced on a GPU), then add their partial sums pairwise in
// local memory. Each term is below 2^64 and a block has 4096 terms, so hi never overflows. The
// host adds the parts.
__kernel void squared_distances(__global const int *values, __global const uint *first,
		__global const uint *second, const ulong dimension, const ulong blocks,
		__global ulong *lo, __global ulong *hi, __local ulong *part_lo, __local ulong *part_hi) {
	ulong b = get_group_id(0);
	ulong p = get_global_id(1);
	uint item = get_local_id(0);
	ulong start = b * DISTANCE_BLOCK;
	ulong end = min(start + DISTANCE_BLOCK, dimension);
	__global const int *x = values + (ulong)first[p] * dimension;
	__global const int *y = values + (ulong)second[p] * dimension;
	ulong sum_lo = 0;
	ulong sum_hi = 0;
	for (ulong k = start + item; k < end; k += DISTANCE_GROUP) {
		long d = (long)x[k] - (long)y[k];
		ulong a = (ulong)(d < 0 ? -d : d);
		ulong t = a * a;
		sum_lo += t;
		if (sum_lo < t) {
			sum_hi += 1;
		}
	}
	part_lo[item] = sum_lo;
	part_hi[item] = sum_hi;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint width = DISTANCE_GROUP / 2; width > 0; width /= 2) {
		if (item < width) {
			ulong s = part_lo[item] + part_lo[item + width];
			part_hi[item] += part_hi[item + width] + (s < part_lo[item] ? 1 : 0);
			part_lo[item] = s;
		}
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (item == 0) {
		lo[p * blocks + b] = part_lo[0];
		hi[p * blocks + b] = part_hi[0];
	}
}
