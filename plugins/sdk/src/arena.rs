//! The guest's allocator (wasm32 only): a bump arena.
//!
//! The engine runs every decision in a fresh instance whose memory is thrown away afterwards,
//! so a general-purpose allocator's bookkeeping (free lists, coalescing) is wasted work there.
//! This one hands out memory by moving a pointer, grows the linear memory a page run at a time
//! when it runs out, and only takes memory back in two cheap cases: freeing (or growing) the
//! most recent block, and freeing the last live block, which empties the arena. The second case
//! is what keeps an instance reused across calls (the benchmark's comparison) from growing:
//! after a call's results are read and freed, nothing is live.
//!
//! The decide benchmark (`cargo bench -p oip-engine --bench decide`) measured what it saves
//! against Rust's default wasm allocator (dlmalloc); see the README's benchmark section. A
//! policy that allocates without bound runs into the engine's memory limit either way.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::Cell;

const PAGE: usize = 65_536;

/// The arena's state: the next free byte, the end of the memory it owns, where it started,
/// and how many blocks are live.
pub(crate) struct Arena {
    next: Cell<usize>,
    end: Cell<usize>,
    base: Cell<usize>,
    live: Cell<usize>,
}

// SAFETY: a wasm32-unknown-unknown guest has one thread (the engine compiles no threads
// support), so the cells are never shared across threads.
#[allow(unsafe_code)]
unsafe impl Sync for Arena {}

impl Arena {
    pub(crate) const fn new() -> Arena {
        Arena {
            next: Cell::new(0),
            end: Cell::new(0),
            base: Cell::new(0),
            live: Cell::new(0),
        }
    }

    /// First use: the arena begins at the end of the memory the module declared.
    fn init(&self) {
        let top = wasm32::memory_size(0) * PAGE;
        self.next.set(top);
        self.base.set(top);
        self.end.set(top);
    }

    /// Makes `[start, start + size)` the arena's when it is not already: grows the memory by
    /// enough pages. False when the memory cannot grow (the engine's limit).
    fn reserve(&self, start: usize, size: usize) -> bool {
        let Some(want) = start.checked_add(size) else {
            return false;
        };
        if want <= self.end.get() {
            return true;
        }
        let pages = (want - self.end.get()).div_ceil(PAGE);
        if wasm32::memory_grow(0, pages) == usize::MAX {
            return false;
        }
        self.end.set(self.end.get() + pages * PAGE);
        true
    }
}

#[allow(unsafe_code)]
// SAFETY: blocks are disjoint (the pointer only moves back over the latest block or when no
// block is live), aligned as asked, and inside memory the module owns.
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.end.get() == 0 {
            self.init();
        }
        let start = self.next.get().next_multiple_of(layout.align());
        if !self.reserve(start, layout.size()) {
            return core::ptr::null_mut();
        }
        self.next.set(start + layout.size());
        self.live.set(self.live.get() + 1);
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let live = self.live.get() - 1;
        self.live.set(live);
        if live == 0 {
            self.next.set(self.base.get());
        } else if ptr as usize + layout.size() == self.next.get() {
            self.next.set(ptr as usize);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let start = ptr as usize;
        if start + layout.size() == self.next.get() {
            // The latest block: grow or shrink it where it is.
            if !self.reserve(start, new_size) {
                return core::ptr::null_mut();
            }
            self.next.set(start + new_size);
            return ptr;
        }
        if new_size <= layout.size() {
            return ptr;
        }
        // SAFETY: the caller guarantees `layout.align()` is a power of two and `new_size`,
        // rounded up to it, does not overflow (GlobalAlloc::realloc's contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a non-zero size, as for any realloc.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live, disjoint and at least `layout.size()` long.
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size());
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}
