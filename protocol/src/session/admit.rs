//! Who the cloud serves, and how often: the per-user session rate of the serve loop. (Who
//! may connect at all is decided earlier, inside the TLS handshake, by the allow-list of
//! [`transport::ServerTransport::tls`]: an unknown user is refused before any byte of the
//! session is read, so before any key generation, re-sharing or store write.)

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use transport::Fingerprint;

/// At most `max` sessions per authenticated user within any window of `per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserRate {
    /// Sessions allowed per window.
    pub max: u32,
    /// The window.
    pub per: Duration,
}

/// The sessions each user started in the current window.
#[derive(Debug)]
pub(crate) struct Limiter {
    rate: UserRate,
    seen: Mutex<HashMap<Fingerprint, VecDeque<Instant>>>,
}

impl Limiter {
    /// A limiter enforcing `rate`.
    pub(crate) fn new(rate: UserRate) -> Self {
        Self {
            rate,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a session of `user` at `now`, or says how long until the next is allowed.
    /// (Only authenticated users reach this, so the map holds at most the allow-list.)
    pub(crate) fn admit(&self, user: Fingerprint, now: Instant) -> Result<(), Duration> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let q = seen.entry(user).or_default();
        while q
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.rate.per)
        {
            q.pop_front();
        }
        if let Some(first) = q.front()
            && q.len() as u64 >= u64::from(self.rate.max)
        {
            return Err(self
                .rate
                .per
                .saturating_sub(now.saturating_duration_since(*first)));
        }
        q.push_back(now);
        Ok(())
    }

    /// The refusal text for a user who must wait `wait`.
    pub(crate) fn refusal(&self, wait: Duration) -> String {
        format!(
            "rate limit: at most {} sessions per {} s for each user; try again in {} s",
            self.rate.max,
            self.rate.per.as_secs(),
            wait.as_secs() + 1
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_gets_max_sessions_per_window() {
        let l = Limiter::new(UserRate {
            max: 2,
            per: Duration::from_secs(60),
        });
        let (a, b) = (Fingerprint([1; 32]), Fingerprint([2; 32]));
        let t0 = Instant::now();
        assert!(l.admit(a, t0).is_ok());
        assert!(l.admit(a, t0 + Duration::from_secs(1)).is_ok());
        let wait = l.admit(a, t0 + Duration::from_secs(2)).expect_err("third");
        assert_eq!(wait, Duration::from_secs(58));
        assert!(l.admit(b, t0 + Duration::from_secs(2)).is_ok(), "per user");
        assert!(
            l.admit(a, t0 + Duration::from_secs(60)).is_ok(),
            "window moved on"
        );
        assert!(l.refusal(wait).contains("try again in 59 s"));
    }
}
