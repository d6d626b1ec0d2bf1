//! Freeing large structures off the critical path.

/// Frees `value` on another thread. A million small allocations take a
/// noticeable part of a second to free, and nothing after a build needs to
/// wait for it; when the process exits first, the kernel reclaims it all.
pub(crate) fn in_background<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}
