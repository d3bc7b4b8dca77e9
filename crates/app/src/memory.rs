//! How the process takes memory from the kernel: in ordinary 4 KiB pages, never in transparent huge pages.
//!
//! The allocator (mimalloc) asks for transparent huge pages where the kernel offers them (`madvise` mode, as on
//! this project's machines). The memory store grows by about 850 bytes a signal, so the process kept faulting in
//! fresh 2 MiB pages, and the kernel zeroes each one whole in the fault, while the request that touched it waits:
//! several milliseconds a page on a virtual machine whose host backs the page as it is touched. `bench/run`'s
//! server in memory, side by side at 28 000 signals/s open-loop: p99 14.8–18.8 ms with huge pages, 3.3–4.0 ms
//! without; under wrk 58 900–60 100 signals/s with, 67 600–71 300 without. With 4 KiB pages the same zeroing is
//! spread over faults of a few microseconds each.

/// Turns transparent huge pages off for this process (Linux; elsewhere there is nothing to turn off). Called first
/// thing, before the allocator has mapped much; the kernel checks the flag at every fault, so it holds for what
/// was mapped before too. Returns whether they are off.
pub fn without_huge_pages() -> bool {
    #[cfg(target_os = "linux")]
    {
        rustix::thread::disable_transparent_huge_pages(true).is_ok()
            && rustix::thread::transparent_huge_pages_are_disabled().unwrap_or(false)
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn huge_pages_are_off_once_asked() {
        assert!(super::without_huge_pages());
        assert_eq!(rustix::thread::transparent_huge_pages_are_disabled().ok(), Some(true));
    }
}
