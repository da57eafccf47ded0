//! The allocator the `boilerstrip` binary and the benches use: mimalloc, entered through
//! its plain functions where the alignment allows.
//!
//! Cleaning allocates and frees small strings per line, and compiling the rules' regexes
//! allocates many small pieces at start-up. `mimalloc::MiMalloc` always calls mimalloc's
//! aligned functions, which first look for a free block that happens to be aligned
//! enough; every mimalloc block is aligned to a word at least (its block sizes are
//! multiples of one), so for alignments up to a word (strings, byte vectors, most
//! structs) the plain functions serve the same request with fewer instructions.

use std::alloc::{GlobalAlloc, Layout};

/// mimalloc, through `mi_malloc`/`mi_zalloc`/`mi_realloc` for alignments up to a word and
/// through [`mimalloc::MiMalloc`] for larger ones.
pub struct Mimalloc;

/// The alignment every block mimalloc returns has (not in mimalloc's `debug` builds run
/// with `MIMALLOC_GUARDED_PRECISE=1`, which this crate never enables).
const WORD: usize = std::mem::size_of::<usize>();

// SAFETY: each method returns memory from mimalloc aligned as `layout` asks: the plain
// functions only when `layout.align() <= WORD`, which every mimalloc block meets, and
// `MiMalloc` otherwise; `dealloc` and `realloc` take only pointers mimalloc returned
// (GlobalAlloc's contract), and `mi_free`/`mi_realloc` accept those from either path.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD {
            // SAFETY: see the impl.
            unsafe { libmimalloc_sys::mi_malloc(layout.size()).cast() }
        } else {
            // SAFETY: the caller's contract, passed on.
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD {
            // SAFETY: see the impl.
            unsafe { libmimalloc_sys::mi_zalloc(layout.size()).cast() }
        } else {
            // SAFETY: the caller's contract, passed on.
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    // `mi_realloc_aligned` would reach the plain realloc for these alignments too, but
    // after a call and a test: start-up (regex compiling grows many vectors) costs 0.4M
    // instructions more that way.
    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= WORD {
            // SAFETY: `ptr` came from mimalloc (the caller's contract); see the impl.
            unsafe { libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast() }
        } else {
            // SAFETY: the caller's contract, passed on.
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every alignment up to a page, sizes around the block-size steps, zeroed and
    /// grown: each pointer aligned as asked, zeroed memory zero, realloc keeping bytes.
    #[test]
    fn blocks_are_aligned_as_asked() {
        let a = Mimalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 7, 8, 9, 15, 16, 17, 24, 40, 100, 1000, 70_000] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: `layout` has a non-zero size; each block is freed once with it.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null() && p as usize % align == 0, "{size} {align}");
                    p.write_bytes(0xAB, size);
                    let q = a.realloc(p, layout, size * 3);
                    assert!(!q.is_null() && q as usize % align == 0, "{size} {align}");
                    assert!((0..size).all(|i| *q.add(i) == 0xAB), "{size} {align}");
                    a.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                    let z = a.alloc_zeroed(layout);
                    assert!(!z.is_null() && z as usize % align == 0, "{size} {align}");
                    assert!((0..size).all(|i| *z.add(i) == 0), "{size} {align}");
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
