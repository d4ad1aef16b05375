//! The async-action vocabulary: the 22 Voucherify action kinds, statuses and progress.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

macro_rules! kinds {
    ($($variant:ident => $text:literal,)*) => {
        /// Every Voucherify async-action type (SPEC.md §3). The wire text is the Voucherify name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ActionKind {
            $(
                #[doc = concat!("`", $text, "`")]
                #[serde(rename = $text)]
                $variant,
            )*
        }

        impl ActionKind {
            /// All kinds, in SPEC.md order.
            pub const ALL: &'static [ActionKind] = &[$(ActionKind::$variant,)*];

            /// The Voucherify name, e.g. `CUSTOMERS.BULK_UPDATE`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ActionKind::$variant => $text,)*
                }
            }
        }

        impl FromStr for ActionKind {
            type Err = UnknownKind;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(ActionKind::$variant),)*
                    _ => Err(UnknownKind(s.to_owned())),
                }
            }
        }
    };
}

kinds! {
    CampaignVouchersImport => "CAMPAIGN.VOUCHERS_IMPORT",
    CampaignVouchersImportCsv => "CAMPAIGN.VOUCHERS_IMPORT_CSV",
    CampaignVouchersUpdate => "CAMPAIGN.VOUCHERS_UPDATE",
    CampaignVouchersDelete => "CAMPAIGN.VOUCHERS_DELETE",
    CampaignVouchersGenerate => "CAMPAIGN.VOUCHERS_GENERATE",
    CampaignsMetadataKeyPurge => "CAMPAIGNS.METADATA_KEY_PURGE",
    CustomersImportCsv => "CUSTOMERS.IMPORT_CSV",
    CustomersBulkUpdate => "CUSTOMERS.BULK_UPDATE",
    CustomersMetadataUpdate => "CUSTOMERS.METADATA_UPDATE",
    CustomersMetadataKeyPurge => "CUSTOMERS.METADATA_KEY_PURGE",
    ProductsBulkUpdate => "PRODUCTS.BULK_UPDATE",
    ProductsMetadataUpdate => "PRODUCTS.METADATA_UPDATE",
    ProductsMetadataKeyPurge => "PRODUCTS.METADATA_KEY_PURGE",
    ProductsImportCsv => "PRODUCTS.IMPORT_CSV",
    SkusImportCsv => "SKUS.IMPORT_CSV",
    VouchersImport => "VOUCHERS.IMPORT",
    VouchersImportCsv => "VOUCHERS.IMPORT_CSV",
    VouchersBulkUpdate => "VOUCHERS.BULK_UPDATE",
    VouchersMetadataUpdate => "VOUCHERS.METADATA_UPDATE",
    VouchersMetadataKeyPurge => "VOUCHERS.METADATA_KEY_PURGE",
    OrdersImport => "ORDERS.IMPORT",
    OrdersMetadataKeyPurge => "ORDERS.METADATA_KEY_PURGE",
}

impl ActionKind {
    /// The serial group of this kind: actions of one project in the same group run one at a
    /// time, oldest first (a newer one stays ENQUEUED until every older unfinished one is
    /// DONE or FAILED). Only order imports have one (Voucherify: "There can be only a single
    /// on-going order import per … project"); every other kind runs freely.
    pub fn serial_group(self) -> Option<&'static str> {
        match self {
            ActionKind::OrdersImport => Some("ORDERS.IMPORT"),
            _ => None,
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that names no known action kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown async action type {0:?}")]
pub struct UnknownKind(pub String);

/// Where an action is in its life: `ENQUEUED → IN_PROGRESS → DONE | FAILED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActionStatus {
    /// Waiting to be claimed.
    Enqueued,
    /// Claimed at least once and not finished; may be between leases after a crash.
    InProgress,
    /// Finished; individual items may still have failed (Decision 3).
    Done,
    /// Could not run at all, or was cancelled.
    Failed,
}

impl ActionStatus {
    /// The stored and wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Enqueued => "ENQUEUED",
            ActionStatus::InProgress => "IN_PROGRESS",
            ActionStatus::Done => "DONE",
            ActionStatus::Failed => "FAILED",
        }
    }

    /// Whether the action has finished for good.
    pub fn is_final(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::Failed)
    }

    /// The `operation_status` that goes with this status (Decision 2).
    pub fn operation_status(self) -> OperationStatus {
        match self {
            ActionStatus::Enqueued | ActionStatus::InProgress => OperationStatus::Unknown,
            ActionStatus::Done => OperationStatus::Success,
            ActionStatus::Failed => OperationStatus::Failed,
        }
    }
}

impl FromStr for ActionStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ENQUEUED" => Ok(ActionStatus::Enqueued),
            "IN_PROGRESS" => Ok(ActionStatus::InProgress),
            "DONE" => Ok(ActionStatus::Done),
            "FAILED" => Ok(ActionStatus::Failed),
            other => Err(format!("unknown action status {other:?}")),
        }
    }
}

/// The outcome field Voucherify added in 2024: always derived from [`ActionStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationStatus {
    /// The action finished and did its work (some items may have failed).
    Success,
    /// The action could not run.
    Failed,
    /// Not finished yet.
    Unknown,
}

/// Percent complete, 0..=100. Only a finished action shows 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Progress(u8);

impl Progress {
    /// Nothing done yet.
    pub const ZERO: Progress = Progress(0);
    /// Finished.
    pub const DONE: Progress = Progress(100);

    /// Progress of an unfinished action after `done` of `total` items: at most 99, so that
    /// 100 always means the action is finished.
    pub fn of(done: u64, total: u64) -> Progress {
        if total == 0 {
            return Progress::ZERO;
        }
        let pct = (u128::from(done.min(total)) * 100 / u128::from(total)) as u8;
        Progress(pct.min(99))
    }

    /// From a stored value, clamped to 0..=100.
    pub fn from_stored(value: i64) -> Progress {
        Progress(value.clamp(0, 100) as u8)
    }

    /// The percentage.
    pub fn get(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_22_kinds_and_names_round_trip() {
        assert_eq!(ActionKind::ALL.len(), 22);
        for kind in ActionKind::ALL {
            assert_eq!(kind.as_str().parse::<ActionKind>(), Ok(*kind));
            let json = serde_json::to_string(kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert!("CUSTOMERS.BULK_UPDATES".parse::<ActionKind>().is_err());
    }

    #[test]
    fn only_order_imports_run_one_at_a_time() {
        let serial: Vec<_> =
            ActionKind::ALL.iter().filter(|k| k.serial_group().is_some()).collect();
        assert_eq!(serial, vec![&ActionKind::OrdersImport]);
        assert_eq!(ActionKind::OrdersImport.serial_group(), Some("ORDERS.IMPORT"));
    }

    #[test]
    fn operation_status_follows_status() {
        assert_eq!(ActionStatus::Enqueued.operation_status(), OperationStatus::Unknown);
        assert_eq!(ActionStatus::InProgress.operation_status(), OperationStatus::Unknown);
        assert_eq!(ActionStatus::Done.operation_status(), OperationStatus::Success);
        assert_eq!(ActionStatus::Failed.operation_status(), OperationStatus::Failed);
    }

    #[test]
    fn progress_stays_below_100_until_finished() {
        assert_eq!(Progress::of(0, 10).get(), 0);
        assert_eq!(Progress::of(5, 10).get(), 50);
        assert_eq!(Progress::of(10, 10).get(), 99);
        assert_eq!(Progress::of(11, 10).get(), 99);
        assert_eq!(Progress::of(3, 0).get(), 0);
        assert_eq!(Progress::from_stored(250).get(), 100);
    }
}
