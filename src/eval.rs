//! The benchmark metric: shingle precision, recall and F1 against gold files.
//!
//! STUB: to be implemented.
