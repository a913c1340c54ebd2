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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_wait_is_between_half_and_all_of_its_doubled_step() {
        let base = Duration::from_secs(2);
        let max = Duration::from_secs(600);
        for _ in 0..50 {
            for attempt in 1..=12u32 {
                let step = (base * 2u32.pow(attempt - 1)).min(max);
                let wait = backoff(attempt, base, max);
                assert!(
                    wait >= step / 2 && wait <= step,
                    "{attempt}: {wait:?} of {step:?}"
                );
            }
        }
    }

    #[test]
    fn waits_never_pass_the_cap_and_do_not_overflow() {
        let max = Duration::from_secs(600);
        for attempt in [30, 64, 1000, u32::MAX] {
            let wait = backoff(attempt, Duration::from_secs(2), max);
            assert!(wait >= max / 2 && wait <= max, "{attempt}: {wait:?}");
        }
        // Attempt 0 waits as attempt 1 does.
        let wait = backoff(0, Duration::from_secs(2), max);
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(2));
    }

    #[test]
    fn waits_are_spread() {
        let waits: std::collections::HashSet<_> = (0..20)
            .map(|_| backoff(5, Duration::from_secs(1), Duration::from_secs(600)))
            .collect();
        assert!(waits.len() > 1, "{waits:?}");
    }
}
