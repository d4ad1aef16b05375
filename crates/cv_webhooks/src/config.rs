use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How webhook events are delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// How long after its event a delivery is still retried, in seconds (Voucherify retries
    /// for about a day). An attempt that would fall later ends the delivery FAILED.
    pub retry_for_secs: u64,
    /// The delay before the first retry, in milliseconds; each further retry doubles it.
    pub retry_base_ms: u64,
    /// The longest delay between two attempts, in milliseconds.
    pub retry_max_ms: u64,
    /// How long one attempt may take (connecting, sending, the answer's status), in
    /// milliseconds; past it the attempt failed.
    pub timeout_ms: u64,
    /// How often the delivery loop looks for due deliveries when nothing wakes it, in
    /// milliseconds. The end of an action wakes it at once; this catches retries falling due
    /// and events queued by processes whose notifications it does not hear.
    pub poll_interval_ms: u64,
    /// How many deliveries one process sends at the same time.
    pub concurrency: u32,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            retry_for_secs: 86_400,
            retry_base_ms: 30_000,
            retry_max_ms: 3_600_000,
            timeout_ms: 10_000,
            poll_interval_ms: 5_000,
            concurrency: 16,
        }
    }
}

impl WebhookConfig {
    /// The delay after failed attempt number `attempt` (1-based): `retry_base_ms ·
    /// 2^(attempt-1)`, capped at `retry_max_ms`, of which the upper half is random ("equal
    /// jitter"), so deliveries that failed together (a receiver that was down) do not all come
    /// back at once.
    pub fn retry_delay(&self, attempt: u32, random: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let full = self.retry_base_ms.saturating_mul(1 << exp).min(self.retry_max_ms).max(1);
        let half = full / 2;
        Duration::from_millis(full - half + (half as f64 * random.clamp(0.0, 1.0)) as u64)
    }

    /// How long a claim keeps other senders off a delivery: longer than any attempt can take,
    /// so only a sender that died lets it lapse.
    pub(crate) fn lease_ms(&self) -> i64 {
        i64::try_from(self.timeout_ms.saturating_add(30_000)).unwrap_or(i64::MAX)
    }

    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.max(1))
    }

    pub(crate) fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_up_to_the_cap_with_the_upper_half_random() {
        let config =
            WebhookConfig { retry_base_ms: 1_000, retry_max_ms: 10_000, ..Default::default() };
        let ms = |attempt, random| config.retry_delay(attempt, random).as_millis();
        assert_eq!((ms(1, 0.0), ms(1, 1.0)), (500, 1_000));
        assert_eq!((ms(2, 0.0), ms(2, 1.0)), (1_000, 2_000));
        assert_eq!((ms(4, 0.0), ms(4, 1.0)), (4_000, 8_000));
        assert_eq!((ms(5, 0.0), ms(5, 1.0)), (5_000, 10_000), "capped");
        assert_eq!(ms(1_000, 0.5), 7_500, "no overflow");
    }

    #[test]
    fn the_default_schedule_retries_for_a_day_a_few_dozen_times() {
        let config = WebhookConfig::default();
        let (mut elapsed, mut attempts) = (0u128, 1u32);
        while elapsed + config.retry_delay(attempts, 1.0).as_millis() <= 86_400_000 {
            elapsed += config.retry_delay(attempts, 1.0).as_millis();
            attempts += 1;
        }
        assert!((25..=35).contains(&attempts), "{attempts} attempts in a day");
    }
}
