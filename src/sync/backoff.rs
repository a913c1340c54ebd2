//! How long to wait before trying a sync again.

use std::time::Duration;

/// How long to wait before attempt `attempt` (1, 2, …): exponential from
/// `base`, at most `max`, with full jitter.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let cap = exp.min(max);
    let fraction = super::schedule::random_fraction();
    // Never less than half the step, so retries do spread out.
    cap.mul_f64(0.5 + fraction / 2.0)
}
