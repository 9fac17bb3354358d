//! Large output buffers backed by transparent huge pages (the one `unsafe` call outside
//! [`aesni`](crate)).
//!
//! IKNP writes 16 bytes per OT into fresh memory: 8 M OTs are 128 MiB, 32,768 first-touch
//! page faults of 4 KiB on each side, each zeroing its page; measured with `perf` they were
//! about a third of the extension's CPU time (the kernel's fault path, not the zeroing).
//! Advising the kernel to back the buffer with 2 MiB pages (`madvise(MADV_HUGEPAGE)`,
//! honoured when `/sys/kernel/mm/transparent_hugepage/enabled` is `always` or `madvise`)
//! turns them into 64 faults. glibc does the same for its own mappings when run with
//! `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`.
//!
//! Audit notes:
//! - One `libc::madvise(.., MADV_HUGEPAGE)` call, on a range rounded inward to 2 MiB
//!   boundaries inside the spare capacity of a `Vec` held by `&mut` (so the allocation is
//!   live and nobody else reads or writes it during the call).
//! - The advice changes no memory contents and no Rust-visible state: it only marks the
//!   pages as eligible for huge-page backing. Its result is ignored (a kernel without THP
//!   keeps 4 KiB pages, which is the behaviour without the call).
#![allow(unsafe_code)]

/// The huge-page size advised for (x86-64 and aarch64 with 4 KiB base pages).
const HUGE_PAGE: usize = 2 << 20;

/// Reserves room for `additional` more elements in `v` and, when that spare room spans at
/// least two huge pages, advises the kernel to back it with huge pages (Linux; a no-op
/// elsewhere). Contents and length of `v` are unchanged.
pub(crate) fn reserve_huge<T>(v: &mut Vec<T>, additional: usize) {
    v.reserve(additional);
    let spare = v.spare_capacity_mut();
    let bytes = std::mem::size_of_val(spare);
    if bytes < 2 * HUGE_PAGE {
        return;
    }
    let base = spare.as_mut_ptr().cast::<u8>();
    let start = base as usize;
    let lo = start.next_multiple_of(HUGE_PAGE) - start;
    let hi = (start + bytes) / HUGE_PAGE * HUGE_PAGE - start;
    if hi <= lo {
        return;
    }
    advise(base.wrapping_add(lo), hi - lo);
}

#[cfg(target_os = "linux")]
fn advise(ptr: *mut u8, len: usize) {
    // SAFETY: `[ptr, ptr + len)` lies inside the spare capacity of a `Vec` borrowed mutably
    // by the caller (see `reserve_huge`), page-aligned; MADV_HUGEPAGE reads and writes no
    // memory and leaves its contents unchanged.
    let _ = unsafe { libc::madvise(ptr.cast(), len, libc::MADV_HUGEPAGE) };
}

#[cfg(not(target_os = "linux"))]
fn advise(_ptr: *mut u8, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_huge_keeps_contents_and_makes_room() {
        let mut v: Vec<u128> = (0..1000).collect();
        // 8 MiB of spare room: the advised range is non-empty.
        reserve_huge(&mut v, 1 << 19);
        assert!(v.capacity() >= 1000 + (1 << 19));
        assert_eq!(v.len(), 1000);
        assert!(v.iter().copied().eq(0..1000));
        v.extend(1000..1000 + (1 << 19));
        assert!(v.iter().copied().eq(0..1000 + (1 << 19)));
        // Small reservations skip the advice and still reserve.
        let mut w: Vec<u8> = vec![7; 3];
        reserve_huge(&mut w, 10);
        assert!(w.capacity() >= 13);
        assert_eq!(w, [7, 7, 7]);
    }

    /// The `VmFlags` line of the mapping in `/proc/self/smaps` that contains `addr`.
    #[cfg(target_os = "linux")]
    fn vm_flags(addr: usize) -> Option<String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            let head = line.split_whitespace().next().unwrap_or("");
            if let Some((a, b)) = head.split_once('-')
                && let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
            {
                inside = (a..b).contains(&addr);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return Some(flags.to_string());
            }
        }
        None
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_spare_room_is_advised_for_huge_pages_where_the_kernel_offers_them() {
        let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
        if !thp.is_ok_and(|s| !s.contains("[never]")) {
            return; // no THP on this kernel: nothing to observe
        }
        let mut v: Vec<u128> = Vec::new();
        reserve_huge(&mut v, 1 << 20); // 16 MiB
        let mid = v.spare_capacity_mut()[1 << 19].as_ptr() as usize;
        let flags = vm_flags(mid).expect("the buffer's mapping is listed in smaps");
        assert!(
            flags.split_whitespace().any(|f| f == "hg"),
            "MADV_HUGEPAGE set on the buffer: {flags}"
        );
    }
}
