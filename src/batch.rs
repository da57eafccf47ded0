//! The batch layer: walk inputs, clean files in parallel, write outputs atomically.
