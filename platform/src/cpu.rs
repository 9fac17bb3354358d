//! CPU time of processes and threads, read from Linux `/proc` (`None` on other systems or
//! when the file cannot be read): the one reader behind every "CPU per side" figure (user
//! and cloud in the summaries, `secure-bench`, `fast_bench`, `rlwe_bench`, `bench-gc`).
//!
//! Process figures come from `/proc/PID/stat` (user + system time in clock ticks of
//! 1/100 s, the `USER_HZ` of every Linux ABI gcc-nn builds for); thread figures from
//! `/proc/thread-self/schedstat` (nanoseconds).

use std::time::Duration;

/// Clock ticks per second of `/proc/PID/stat` (`USER_HZ`).
const TICKS_PER_SECOND: u64 = 100;

/// What `/proc/PID/stat` says about a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessStat {
    /// The state letter (`R` running, `S` sleeping, `Z` exited but not yet reaped, …).
    pub state: char,
    /// User + system CPU time so far.
    pub cpu: Duration,
}

impl ProcessStat {
    /// Whether the process has exited (a zombie waiting to be reaped: its figures are final).
    pub fn exited(&self) -> bool {
        self.state == 'Z' || self.state == 'X'
    }
}

/// Parses the text of `/proc/PID/stat`. The command name (field 2) is in parentheses and may
/// itself contain spaces and parentheses, so the fields are counted after the last `)`.
pub fn parse_stat(text: &str) -> Option<ProcessStat> {
    let rest = text.get(text.rfind(')')? + 1..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state (field 3), …, utime (field 14), stime (field 15).
    let state = f.first()?.chars().next()?;
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let cpu = Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND);
    Some(ProcessStat { state, cpu })
}

/// The state and CPU time of process `pid`, if `/proc` has it.
pub fn process_stat(pid: u32) -> Option<ProcessStat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// User + system CPU time of process `pid` so far.
pub fn process_cpu(pid: u32) -> Option<Duration> {
    Some(process_stat(pid)?.cpu)
}

/// User + system CPU time of this process so far (all its threads).
pub fn own_cpu() -> Option<Duration> {
    Some(parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)?.cpu)
}

/// CPU time of the calling thread so far.
pub fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// The final CPU time of child process `pid` once it has exited, read before it is reaped
/// (the caller's `wait` comes after): polls its state every 20 ms for up to `patience`.
/// `None` if it is still running then, was already reaped, or `/proc` is not there.
pub fn final_child_cpu(pid: u32, patience: Duration) -> Option<Duration> {
    let deadline = std::time::Instant::now() + patience;
    loop {
        let stat = process_stat(pid)?;
        if stat.exited() {
            return Some(stat.cpu);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_last_parenthesis() {
        // A real line shape (Linux 6.x) with a command name holding ") S 1 (": the state is
        // 'Z', utime 250 and stime 31 ticks.
        let line = "4242 (evil) S 1 (name) Z 1 4242 4242 0 -1 4194560 120 0 0 0 250 31 0 0 20 0 \
                    3 0 1234 0 0 18446744073709551615";
        let s = parse_stat(line).expect("parses");
        assert_eq!(s.state, 'Z');
        assert!(s.exited());
        assert_eq!(s.cpu, Duration::from_millis(2810));
        assert_eq!(parse_stat("12 (x) R 1 2"), None, "too few fields");
        assert_eq!(parse_stat("no parenthesis"), None);
        let running = parse_stat(&line.replace(") Z ", ") R ")).expect("parses");
        assert!(!running.exited());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn own_and_thread_cpu_grow_with_work() {
        let (p0, t0) = (own_cpu().expect("own"), thread_cpu().expect("thread"));
        // Spin until the thread has used 30 ms more (bounded by a wall-clock guard).
        let start = std::time::Instant::now();
        let mut x = 1u64;
        while thread_cpu().expect("thread") < t0 + Duration::from_millis(30)
            && start.elapsed() < Duration::from_secs(20)
        {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        assert!(thread_cpu().expect("thread") >= t0 + Duration::from_millis(30));
        // The process figure has a 10 ms resolution.
        assert!(own_cpu().expect("own") >= p0 + Duration::from_millis(20));
        assert!(process_cpu(std::process::id()).is_some());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_exited_child_is_seen_before_it_is_reaped() {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let cpu = final_child_cpu(child.id(), Duration::from_secs(10));
        assert!(
            cpu.is_some(),
            "the exited child is a zombie until waited for"
        );
        child.wait().expect("wait");
        assert_eq!(process_stat(child.id()), None, "reaped: gone from /proc");
    }
}
