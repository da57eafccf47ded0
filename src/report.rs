//! Per-file and per-run statistics, mergeable across threads.
