//! The check of `rules/default.rules` (see `stored`): shared by build.rs, which includes
//! this file with `#[path]` and decides whether the library reads the file, and the
//! library's tests.

use super::fnv::{blob_sum_holds, fnv1a, FNV_START};

/// The first eight bytes of the file: its name and the layout's version (the last byte).
pub(crate) const STORED_MAGIC: [u8; 8] = *b"bsrules\x02";

/// Whether `blob` is a stored rule set of this layout, made from the rule file `source`,
/// and whole: the magic, then the sum of `source`, and at the end the sum of the rest.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn stored_rules_current(blob: &[u8], source: &[u8]) -> bool {
    blob.len() >= 24
        && blob[..8] == STORED_MAGIC
        && blob[8..16] == fnv1a(FNV_START, source).to_le_bytes()
        && blob_sum_holds(blob)
}
