//! Freeing large structures off the critical path: the one policy for them.
//!
//! A structure of millions of small allocations (a checked index, the
//! writer's inventories, the build cache's plugins) takes a noticeable part
//! of a second to free. Whoever is done with one hands it to
//! [`in_background`] instead of dropping it in place; nothing leaks them
//! with `mem::forget`. The invariant that makes this safe: nothing waits for
//! that thread, and the process may exit before it ran, so a value handed
//! over must own only memory: no files to flush, locks to release or
//! temporary folders to remove, whose drop would then never happen.

/// Frees `value` on another thread, never waited for (see the module).
pub(crate) fn in_background<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}
