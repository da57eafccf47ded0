//! FNV-1a, 64 bits: the same on every platform and toolchain, unlike std's hashers. It
//! keys the automata stored in `rules/default.dfa` and sums the file, and build.rs (which
//! includes this file with `#[path]`) checks that sum: one copy of the code for both.

/// FNV-1a's starting value.
pub(crate) const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// `h` carried on over `bytes`.
pub(crate) fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Whether `blob` ends with the sum of the bytes before its last eight, little-endian:
/// it is as `builtin_dfa_blob` wrote it (the test in src/rules.rs), not damaged since.
// build.rs checks the file with it; the library only in tests.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn blob_sum_holds(blob: &[u8]) -> bool {
    match blob.len().checked_sub(8) {
        Some(body) => fnv1a(FNV_START, &blob[..body]).to_le_bytes() == blob[body..],
        None => false,
    }
}
