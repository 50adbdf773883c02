//! Who may come in, and how often: the bearer-token cache, the per-token rate limit, and the
//! limit on failed authentications per client address.
//!
//! Only valid tokens are cached (a bounded `moka` cache whose entries expire, so a revocation
//! on another instance is seen within the expiry). A revocation here empties the cache and
//! bumps a generation, so a lookup that started before it cannot put the revoked token back.
//! The rate limits are GCRA limiters (`governor`): a token over its quota, or an address that
//! presented too many unknown tokens, is answered `rate_limited` (429) with `Retry-After`,
//! and a blocked address's tokens are not even looked up until the block ends.

use crate::auth::{self, Principal};
use crate::error::{Code, Error};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Valid tokens kept at most.
const CACHE_CAPACITY: u64 = 10_000;

/// How long a valid token is trusted without asking the database again.
const CACHE_TTL: Duration = Duration::from_secs(2);

/// The limits, from the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Requests per second one token may make on average (0: unlimited).
    pub token_requests_per_second: u32,
    /// The burst above that average.
    pub token_burst: u32,
    /// Failed authentications per minute from one address (0: unlimited).
    pub auth_failures_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            token_requests_per_second: 200,
            token_burst: 1000,
            auth_failures_per_minute: 30,
        }
    }
}

/// The gate.
pub struct Gate {
    valid: moka::sync::Cache<String, Principal>,
    generation: AtomicU64,
    per_token: Option<DefaultKeyedRateLimiter<String>>,
    failures: Option<DefaultKeyedRateLimiter<IpAddr>>,
    blocked: moka::sync::Cache<IpAddr, Instant>,
    /// The digest tokens are stored under.
    profile: crate::crypto::Profile,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("cached", &self.valid.entry_count())
            .finish_non_exhaustive()
    }
}

/// `rate_limited`, retry after `wait` (at least a second).
fn limited(wait: Duration) -> Error {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Error::new(Code::RateLimited).retry_after(secs.max(1))
}

impl Gate {
    /// A gate with these limits.
    pub fn new(limits: Limits, profile: crate::crypto::Profile) -> Gate {
        let per_token = NonZeroU32::new(limits.token_requests_per_second).map(|rate| {
            let burst = NonZeroU32::new(limits.token_burst.max(rate.get())).unwrap_or(rate);
            DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        let failures = NonZeroU32::new(limits.auth_failures_per_minute)
            .map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n)));
        Gate {
            valid: moka::sync::Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(CACHE_TTL)
                .build(),
            generation: AtomicU64::new(0),
            per_token,
            failures,
            blocked: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(3600))
                .build(),
            profile,
        }
    }

    /// The caller behind `token`, presented from `peer`: `lookup` asks the database for the
    /// token's hash. `Ok(None)` for an unknown or revoked token; `rate_limited` when `peer`
    /// presented too many of those lately.
    pub async fn principal<F, Fut>(
        &self,
        token: &str,
        peer: Option<IpAddr>,
        lookup: F,
    ) -> Result<Option<Principal>, Error>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<Option<Principal>, Error>>,
    {
        let hash = auth::token_hash(self.profile, token);
        if let Some(p) = self.valid.get(&hash) {
            return Ok(Some(p));
        }
        self.check_blocked(peer)?;
        let generation = self.generation.load(Ordering::Acquire);
        let found = lookup(hash.clone()).await?;
        match &found {
            Some(p) => {
                if self.generation.load(Ordering::Acquire) == generation {
                    self.valid.insert(hash, p.clone());
                }
            }
            None => self.failed(peer)?,
        }
        Ok(found)
    }

    /// `rate_limited` while `peer` is blocked for failed authentications (a console sign-in
    /// asks before it checks a password).
    pub fn check_blocked(&self, peer: Option<IpAddr>) -> Result<(), Error> {
        if let Some(ip) = peer
            && let Some(until) = self.blocked.get(&ip)
        {
            let now = Instant::now();
            if until > now {
                return Err(limited(until - now));
            }
            self.blocked.invalidate(&ip);
        }
        Ok(())
    }

    /// Counts a failed authentication from `peer` (a bad token, or a bad console password or
    /// code); `rate_limited` once it is over its quota, and the address is then blocked until
    /// the quota admits it again.
    pub fn failed(&self, peer: Option<IpAddr>) -> Result<(), Error> {
        let (Some(ip), Some(limiter)) = (peer, &self.failures) else {
            return Ok(());
        };
        match limiter.check_key(&ip) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(limiter.clock().now());
                self.blocked.insert(ip, Instant::now() + wait);
                tracing::warn!(peer = %ip, retry_after_s = wait.as_secs(), "too many failed authentications; address blocked");
                Err(limited(wait))
            }
        }
    }

    /// Counts a request of a token; `rate_limited` when it is over its quota.
    pub fn admit(&self, who: &Principal) -> Result<(), Error> {
        let Some(limiter) = &self.per_token else {
            return Ok(());
        };
        limiter
            .check_key(&who.token_id)
            .map_err(|not_until| limited(not_until.wait_time_from(limiter.clock().now())))
    }

    /// Forgets every cached token (after a revocation): a lookup in flight does not cache
    /// what it finds.
    pub fn forget_tokens(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.valid.invalidate_all();
    }

    /// Drops the limiters' state for keys not seen lately (called now and then).
    pub fn tidy(&self) {
        if let Some(l) = &self.per_token {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.failures {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// Valid tokens cached now (approximate).
    pub fn cached(&self) -> u64 {
        self.valid.run_pending_tasks();
        self.valid.entry_count()
    }
}
