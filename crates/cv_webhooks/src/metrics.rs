//! The delivery loop's Prometheus series, in the registry the process passes in.

use prometheus::{IntCounterVec, Opts, Registry};

/// The outcomes of [`DeliveryMetrics`], each a label value of
/// `conveyor_webhook_deliveries_total{outcome}`.
const OUTCOMES: [&str; 4] = ["delivered", "failed_attempt", "given_up", "unrecorded"];

/// What the delivery loop counts. Cheap to clone; clones count into the same series.
#[derive(Clone)]
pub struct DeliveryMetrics {
    /// `conveyor_webhook_deliveries_total{outcome}`: attempts by this process that
    /// `delivered` (2xx), were a `failed_attempt` (to be retried), after which the delivery was
    /// `given_up` (its retry period over), or that stayed `unrecorded` (the claim was lost or
    /// the database failed; the delivery is sent again).
    deliveries: IntCounterVec,
}

impl DeliveryMetrics {
    /// The delivery series, registered in `registry`, every outcome at 0.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let deliveries = IntCounterVec::new(
            Opts::new(
                "conveyor_webhook_deliveries_total",
                "Webhook delivery attempts, by outcome (delivered, failed_attempt, given_up, \
                 unrecorded).",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(deliveries.clone()))?;
        for outcome in OUTCOMES {
            deliveries.with_label_values(&[outcome]);
        }
        Ok(Self { deliveries })
    }

    /// Counts one pass's outcomes.
    pub(crate) fn record(&self, report: &crate::DeliveryReport) {
        let counts = [report.delivered, report.retrying, report.failed, report.lost];
        for (outcome, n) in OUTCOMES.into_iter().zip(counts) {
            self.deliveries.with_label_values(&[outcome]).inc_by(n as u64);
        }
    }
}
